import { fail } from '../../protocol/errors.js';
import { formatTs } from '../../protocol/time.js';
import { CloseCode } from '../../protocol/close-codes.js';
import { notifyOtherSessions, sessionLive, sessionView, startSession } from '../../domain/sessions.js';
import { sessionExpiry } from '../../domain/token-check.js';
import type { OpContext } from '../op.js';
import type { UserRecord } from '../../store/account-store.js';
import type { SessionRecord } from '../../store/session-store.js';

/** How she proved who she is: a password starts a session, a token continues its own (or starts one, if it names none). */
export type LoginProof = { kind: 'password' } | { kind: 'token'; session: SessionRecord | null; legacyKey: string | null };

export interface CompletedLogin {
  token: string;
  expires: string;
  session: string;
  /** Tells her other sessions about a new one (after the reply). */
  after?: () => Promise<void>;
}

/**
 * Starts or continues her session, issues a fresh token for it, records the
 * login and binds the socket to `user` (§3.2 steps 6–8). Binding is the last
 * step, so a login that stalls past the handler deadline on any earlier one
 * never signs the socket in. After binding, the account and session are read
 * again: an ending (logout elsewhere, password change, suspension) that
 * raced this login closes the socket rather than leave it signed in.
 */
export async function completeLogin(ctx: OpContext, user: UserRecord, proof: LoginProof): Promise<CompletedLogin> {
  const { deps } = ctx;
  const session = await sessionFor(ctx, user, proof);
  let issued: { token: string; expires: Date };
  try {
    issued = await deps.tokens.issue(user.id, user.tokenEpoch, new Date(), { session: session.id, notAfter: sessionExpiry(deps, session.createdAt) });
  } catch (err) {
    ctx.log.error({ err }, 'token issue failed');
    return fail('tokenFailed');
  }
  await deps.stores.accounts.recordLogin(user.id, new Date(), ctx.session.client.ua);
  if (!(await ctx.session.bindUser(user.id, ctx, session.id, sessionExpiry(deps, session.createdAt))))
    throw new Error('session not bound: closed, or the login outlived its deadline');
  const [now, again] = await Promise.all([deps.stores.accounts.getUser(user.id), deps.stores.sessions.get(session.id)]);
  if (now?.state !== 'ok' || now.tokenEpoch !== user.tokenEpoch || !sessionLive(deps, again)) {
    ctx.session.close(now?.state === 'suspended' ? CloseCode.ACCOUNT_SUSPENDED : CloseCode.SESSION_ENDED);
    return fail(now?.state === 'suspended' ? 'accountSuspended' : 'invalidToken');
  }
  const result: CompletedLogin = { token: issued.token, expires: formatTs(issued.expires), session: session.id };
  if (proof.kind === 'password') {
    const view = sessionView(session, false, true);
    result.after = () => notifyOtherSessions(deps, user.id, session.id, { what: 'new_session', session: view });
  }
  return result;
}

async function sessionFor(ctx: OpContext, user: UserRecord, proof: LoginProof): Promise<SessionRecord> {
  const { deps, session: socket } = ctx;
  if (proof.kind === 'token' && proof.session) {
    await deps.stores.sessions.touch(proof.session.id, new Date());
    return proof.session;
  }
  const legacyKey = proof.kind === 'token' ? (proof.legacyKey ?? undefined) : undefined;
  try {
    return await startSession(deps, user.id, socket.client, socket.remoteAddress, legacyKey);
  } catch (err) {
    // Two first logins with one token that names no session: the other one started it.
    const existing = legacyKey ? await deps.stores.sessions.findLegacy(user.id, legacyKey) : null;
    if (!existing) throw err;
    if (!sessionLive(deps, existing)) return fail('invalidToken');
    return existing;
  }
}

/** The params every successful login answers with. */
export function loginParams(user: UserRecord, t: { token: string; expires: string; session: string }): Record<string, unknown> {
  const params: Record<string, unknown> = {
    user: user.id,
    token: t.token,
    expires: t.expires,
    session: t.session,
    emailVerified: user.emailVerified,
    // Her own private data: a login reply goes to the account's owner only.
    desc: { public: user.public ?? null, ...(user.private !== null && user.private !== undefined ? { private: user.private } : {}) },
  };
  if (user.mustChangePassword) params.mustChangePassword = true;
  if (user.lang) params.lang = user.lang;
  return params;
}
