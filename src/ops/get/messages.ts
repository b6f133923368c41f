import { activeMembershipOrFail, convIdOrFail, pageLimit } from '../shared/guards.js';
import { step } from '../shared/step.js';
import { historyItem } from '../../domain/messages/message-view.js';
import { fail } from '../../protocol/errors.js';
import { ok, type OpResult, type UserOpContext } from '../op.js';
import type { GetBody } from '../../protocol/schemas/get.js';

/**
 * PROTOCOL §3.8.3 for active members. Hidden: seq ≤ clear_seq, deleted for
 * me, expired for me (by time, §5.5). Added: `after: N` (N ≥ 0) returns
 * seq > N oldest first, for catching up after a reconnect.
 */
export async function getMessages(ctx: UserOpContext, body: GetBody): Promise<OpResult> {
  const { deps, userId } = ctx;
  if (!body.conv) fail('missingConv');
  const conv = convIdOrFail(body.conv);
  const member = await activeMembershipOrFail(ctx, conv, userId);
  const rows = await step(ctx, 'getMessagesFailed', () =>
    deps.stores.history.page({
      conversationId: conv,
      reader: userId,
      clearSeq: member.clearSeq,
      before: body.before !== undefined && body.before > 0 ? body.before : 0,
      after: body.after !== undefined && body.after >= 0 ? body.after : null,
      limit: pageLimit(body.limit),
      now: new Date(),
    }),
  );
  const items = rows.map((m) => historyItem(deps.cipher, m));
  return ok({ messages: items });
}
