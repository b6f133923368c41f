import { fail } from '../../protocol/errors.js';
import { activeMembershipOrFail, convIdOrFail } from '../shared/guards.js';
import { step } from '../shared/step.js';
import { ok, type OpResult, type UserOpContext } from '../op.js';
import type { GetBody } from '../../protocol/schemas/get.js';

/** PROTOCOL §3.8.5: read and delivery positions of every active member, requester included. */
export async function getReceipts(ctx: UserOpContext, body: GetBody): Promise<OpResult> {
  if (!body.conv) fail('missingConv');
  const convId = convIdOrFail(body.conv);
  await activeMembershipOrFail(ctx, convId, ctx.userId);
  const receipts = await step(ctx, 'getReceiptsFailed', () => ctx.deps.stores.receipts.ofConversation(convId));
  return ok({ receipts: receipts.map((r) => ({ user: r.userId, readSeq: r.readSeq, recvSeq: r.recvSeq })) });
}
