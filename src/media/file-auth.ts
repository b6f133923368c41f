import { TokenError } from '../crypto/tokens.js';
import type { Services } from '../runtime/deps.js';

export type FileAuth = { ok: true; userId: string } | { ok: false; reason: 'missing' | 'invalid' | 'expired' };

/**
 * The token on a file request (PROTOCOL §1.8: `Authorization: Bearer`, which
 * wins, else `?token=`), held to the same rule as a token login: valid
 * signature and expiry, an existing account that is neither deleted nor
 * suspended, and not revoked by a later password change.
 */
export async function authenticateFileRequest(services: Services, authorization: string | undefined, queryToken: unknown): Promise<FileAuth> {
  const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : typeof queryToken === 'string' ? queryToken : '';
  if (token === '') return { ok: false, reason: 'missing' };
  if (token.length > 8192) return { ok: false, reason: 'invalid' };
  let claims;
  try {
    claims = await services.tokens.verify(token);
  } catch (err) {
    if (err instanceof TokenError) return { ok: false, reason: err.reason === 'expired' ? 'expired' : 'invalid' };
    throw err;
  }
  const user = await services.stores.accounts.getUser(claims.userId);
  if (!user || user.state !== 'ok' || claims.epoch < user.tokenEpoch) return { ok: false, reason: 'invalid' };
  return { ok: true, userId: user.id };
}
