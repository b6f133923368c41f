import { fail } from '../../protocol/errors.js';
import { userSummaries } from '../../domain/user-view.js';
import { userIdOrFail } from '../shared/guards.js';
import { step } from '../shared/step.js';
import { ok, type OpResult, type UserOpContext } from '../op.js';
import type { GetBody } from '../../protocol/schemas/get.js';

/** PROTOCOL §3.8.7: unknown and deleted users answer `404 user not found` (§12 item 11). */
export async function getUser(ctx: UserOpContext, body: GetBody): Promise<OpResult> {
  if (!body.user) fail('missingUserId');
  const userId = userIdOrFail(body.user);
  const user = await step(ctx, 'userNotFound', () => ctx.deps.stores.accounts.getUser(userId));
  if (!user || user.state === 'deleted') fail('userNotFound');
  const [summary] = await userSummaries(ctx.deps, ctx.userId, [user]);
  // Private data goes to its owner only: anyone else's `get user` never carries it.
  // So do her privacy settings.
  if (user.id !== ctx.userId) return ok({ user: summary });
  const hasPrivate = user.private !== null && user.private !== undefined;
  return ok({ user: { ...summary, ...(hasPrivate ? { private: user.private } : {}), privacy: user.privacy } });
}
