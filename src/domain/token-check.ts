import { TokenError, type VerifiedToken } from '../crypto/tokens.js';
import type { Deps } from '../runtime/deps.js';
import type { UserRecord } from '../store/account-store.js';

/** Why a token does not sign anyone in. */
export type TokenRefusal = 'invalid' | 'expired' | 'no-user' | 'suspended' | 'revoked';

export type TokenCheck = { ok: true; user: UserRecord } | { ok: false; reason: TokenRefusal };

/**
 * The one rule for a token, wherever it is presented (a token login, a file
 * request): a valid signature and expiry, an account that exists and is not
 * deleted or suspended, and not revoked by a later password change (§12 item 15).
 */
export async function checkToken(deps: Pick<Deps, 'tokens' | 'stores'>, token: string): Promise<TokenCheck> {
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
  return { ok: true, user };
}
