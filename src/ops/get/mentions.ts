import { pageLimit } from '../shared/guards.js';
import { step } from '../shared/step.js';
import { mentionItem } from '../../domain/messages/message-view.js';
import { ok, type OpResult, type UserOpContext } from '../op.js';
import type { GetBody } from '../../protocol/schemas/get.js';

/** PROTOCOL §3.8.8, honouring clear_seq, delete-for-me, expiry and active membership (§12 item 20). */
export async function getMentions(ctx: UserOpContext, body: GetBody): Promise<OpResult> {
  const { deps, userId } = ctx;
  const rows = await step(ctx, 'getMentionsFailed', () => deps.stores.history.mentions(userId, pageLimit(body.limit), new Date()));
  const items = rows.map((m) => mentionItem(deps.cipher, m));
  return ok({ mentions: items });
}
