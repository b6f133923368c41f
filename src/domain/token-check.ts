import { createHash } from 'node:crypto';
import { TokenError, type VerifiedToken } from '../crypto/tokens.js';
import type { Deps } from '../runtime/deps.js';
import type { UserRecord } from '../store/account-store.js';
import type { SessionRecord } from '../store/session-store.js';

/** Why a token does not sign anyone in. */
export type TokenRefusal = 'invalid' | 'expired' | 'no-user' | 'suspended' | 'revoked';

/**
 * A good token, with the session it belongs to: `session` is null for a
 * token that names no session and has not started one yet (its first token
 * login starts one, keyed by `legacyKey`).
 */
export type TokenCheck =
  | { ok: true; user: UserRecord; session: SessionRecord | null; legacyKey: string | null; claims: VerifiedToken }
  | { ok: false; reason: TokenRefusal };

/** When a session started at `createdAt` ends by age (MVCHAT_SESSION_LIFETIME). */
export function sessionExpiry(deps: Pick<Deps, 'config'>, createdAt: Date): Date {
  return new Date(createdAt.getTime() + deps.config.sessionLifetime * 1000);
}

/** The key a token naming no session is remembered by: its hash, never the token. */
export function legacyKeyOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * The one rule for a token, wherever it is presented (a token login, a file
 * request): a valid signature and expiry, an account that exists and is not
 * deleted or suspended, not revoked by a later password change (§12 item 15),
 * and a session that was not ended and is within its absolute lifetime. A
 * token that names no session is refused when issued before her last "end
 * other sessions", or when the session it started has ended.
 */
export async function checkToken(deps: Pick<Deps, 'tokens' | 'stores' | 'config'>, token: string, now = new Date()): Promise<TokenCheck> {
  let claims: VerifiedToken;
  try {
    claims = await deps.tokens.verify(token);
  } catch (err) {
    if (err instanceof TokenError) return { ok: false, reason: err.reason === 'expired' ? 'expired' : 'invalid' };
    throw err;
  }
  const user = await deps.stores.accounts.getUser(claims.userId);
  if (!user || user.state === 'deleted') return { ok: false, reason: 'no-user' };
  if (user.state === 'suspended') return { ok: false, reason: 'suspended' };
  if (claims.epoch < user.tokenEpoch) return { ok: false, reason: 'revoked' };
  let session: SessionRecord | null;
  let legacyKey: string | null = null;
  if (claims.session !== undefined) {
    session = await deps.stores.sessions.get(claims.session);
    if (!session || session.userId !== user.id) return { ok: false, reason: 'revoked' };
  } else {
    if (claims.issuedAt < user.sessionCutoff) return { ok: false, reason: 'revoked' };
    legacyKey = legacyKeyOf(token);
    session = await deps.stores.sessions.findLegacy(user.id, legacyKey);
  }
  if (session) {
    if (session.endedAt !== null) return { ok: false, reason: 'revoked' };
    if (sessionExpiry(deps, session.createdAt) <= now) return { ok: false, reason: 'expired' };
  }
  return { ok: true, user, session, legacyKey, claims };
}
