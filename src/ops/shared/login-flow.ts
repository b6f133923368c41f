import { fail } from '../../protocol/errors.js';
import { formatTs } from '../../protocol/time.js';
import type { OpContext } from '../op.js';
import type { UserRecord } from '../../store/account-store.js';

/**
 * Issues a fresh token, records the login and binds the session to `user` (§3.2 steps 6–8).
 * Binding is the last step, so a login that stalls past the handler deadline on any
 * earlier one never signs the socket in.
 */
export async function completeLogin(ctx: OpContext, user: UserRecord): Promise<{ token: string; expires: string }> {
  let issued: { token: string; expires: Date };
  try {
    issued = await ctx.deps.tokens.issue(user.id, user.tokenEpoch);
  } catch (err) {
    ctx.log.error({ err }, 'token issue failed');
    return fail('tokenFailed');
  }
  await ctx.deps.stores.accounts.recordLogin(user.id, new Date(), ctx.session.client.ua);
  if (!(await ctx.session.bindUser(user.id, ctx))) throw new Error('session not bound: closed, or the login outlived its deadline');
  return { token: issued.token, expires: formatTs(issued.expires) };
}

/** The params every successful login answers with. */
export function loginParams(user: UserRecord, t: { token: string; expires: string }): Record<string, unknown> {
  const params: Record<string, unknown> = {
    user: user.id,
    token: t.token,
    expires: t.expires,
    emailVerified: user.emailVerified,
    // Her own private data: a login reply goes to the account's owner only.
    desc: { public: user.public ?? null, ...(user.private !== null && user.private !== undefined ? { private: user.private } : {}) },
  };
  if (user.mustChangePassword) params.mustChangePassword = true;
  if (user.lang) params.lang = user.lang;
  return params;
}
