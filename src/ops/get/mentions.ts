import { orFail, pageLimit } from '../shared/access.js';
import { mentionItem } from '../../domain/messages/message-view.js';
import { ok, type OpResult, type UserOpContext } from '../op.js';
import type { GetBody } from '../get.js';

/** PROTOCOL §3.8.8, honouring clear_seq, delete-for-me, expiry and active membership (§12 item 20). */
export async function getMentions(ctx: UserOpContext, body: GetBody): Promise<OpResult> {
  const { services, userId } = ctx;
  const rows = await orFail(services, ctx.log, services.stores.messages.mentions(userId, pageLimit(body.limit), new Date()), 'getMentionsFailed');
  const items = rows.map((m) => mentionItem(services.cipher, m));
  return ok({ mentions: items });
}
