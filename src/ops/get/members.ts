import { fail } from '../../protocol/errors.js';
import { userSummaries } from '../../domain/user-view.js';
import { activeMembershipOrFail, convIdOrFail } from '../shared/guards.js';
import { step } from '../shared/step.js';
import { ok, type OpResult, type UserOpContext } from '../op.js';
import type { GetBody } from '../../protocol/schemas/get.js';

/** PROTOCOL §3.8.4: UserSummary of every active member (requester included), deleted users skipped. */
export async function getMembers(ctx: UserOpContext, body: GetBody): Promise<OpResult> {
  if (!body.conv) fail('missingConv');
  const convId = convIdOrFail(body.conv);
  await activeMembershipOrFail(ctx, convId, ctx.userId);
  const members = await step(ctx, 'getMembersFailed', async () => {
    const receipts = await ctx.deps.stores.receipts.ofConversation(convId);
    const users = await ctx.deps.stores.accounts.getUsers(receipts.map((r) => r.userId));
    const visible = receipts.flatMap((r) => {
      const u = users.get(r.userId);
      return u && u.state !== 'deleted' ? [u] : [];
    });
    return userSummaries(ctx.deps, ctx.userId, visible);
  });
  return ok({ members });
}
