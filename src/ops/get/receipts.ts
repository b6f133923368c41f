import { fail } from '../../protocol/errors.js';
import { activeMembershipOrFail, convIdOrFail } from '../shared/guards.js';
import { step } from '../shared/step.js';
import { PresenceVisibility } from '../../domain/presence-visibility.js';
import { ok, type OpResult, type UserOpContext } from '../op.js';
import type { GetBody } from '../../protocol/schemas/get.js';

/** PROTOCOL §3.8.5: read and delivery positions of every active member, requester included, as the requester may see them. */
export async function getReceipts(ctx: UserOpContext, body: GetBody): Promise<OpResult> {
  if (!body.conv) fail('missingConv');
  const convId = convIdOrFail(body.conv);
  await activeMembershipOrFail(ctx, convId, ctx.userId);
  const { receipts, hidden } = await step(ctx, 'getReceiptsFailed', async () => {
    const receipts = await ctx.deps.stores.receipts.ofConversation(convId);
    const hidden = await new PresenceVisibility(ctx.deps.stores).hiddenFrom(
      ctx.userId,
      receipts.map((r) => r.userId),
    );
    return { receipts, hidden };
  });
  // Positions of a member whose activity the requester may not see read as never read nor received.
  return ok({
    receipts: receipts.map((r) =>
      hidden.has(r.userId) ? { user: r.userId, readSeq: 0, recvSeq: 0 } : { user: r.userId, readSeq: r.readSeq, recvSeq: r.recvSeq },
    ),
  });
}
