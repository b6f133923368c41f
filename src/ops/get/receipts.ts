import { fail } from '../../protocol/errors.js';
import { activeMembershipOrFail, convIdOrFail } from '../shared/guards.js';
import { step } from '../shared/step.js';
import { maySeeActivity, PresenceVisibility } from '../../domain/presence-visibility.js';
import { ok, type OpResult, type UserOpContext } from '../op.js';
import type { GetBody } from '../../protocol/schemas/get.js';

/** PROTOCOL §3.8.5: read and delivery positions of every active member, requester included, as the requester may see them. */
export async function getReceipts(ctx: UserOpContext, body: GetBody): Promise<OpResult> {
  if (!body.conv) fail('missingConv');
  const convId = convIdOrFail(body.conv);
  await activeMembershipOrFail(ctx, convId, ctx.userId);
  const { receipts, visibility } = await step(ctx, 'getReceiptsFailed', async () => {
    const receipts = await ctx.deps.stores.receipts.ofConversation(convId);
    const visibility = await new PresenceVisibility(ctx.deps.stores).toward(
      ctx.userId,
      receipts.map((r) => r.userId),
    );
    return { receipts, visibility };
  });
  // A position the requester may not see reads as never read (never received). What she read she
  // received: a visible read with a hidden delivery shows the read position for both.
  return ok({
    receipts: receipts.map((r) => {
      const readSeq = maySeeActivity(ctx.userId, r.userId, 'read', visibility) ? r.readSeq : 0;
      const recvSeq = maySeeActivity(ctx.userId, r.userId, 'recv', visibility) ? r.recvSeq : readSeq;
      return { user: r.userId, readSeq, recvSeq };
    }),
  });
}
