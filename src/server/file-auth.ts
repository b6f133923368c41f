import { checkToken } from '../domain/token-check.js';
import type { Deps } from '../runtime/deps.js';

export type FileAuth = { ok: true; userId: string } | { ok: false; reason: 'missing' | 'invalid' | 'expired' };

/**
 * The token on a file request (PROTOCOL §1.8: `Authorization: Bearer`, which
 * wins, else `?token=`), held to the same rule as a token login.
 */
export async function authenticateFileRequest(
  deps: Pick<Deps, 'tokens' | 'stores' | 'config'>,
  authorization: string | undefined,
  queryToken: unknown,
): Promise<FileAuth> {
  const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : typeof queryToken === 'string' ? queryToken : '';
  if (token === '') return { ok: false, reason: 'missing' };
  if (token.length > 8192) return { ok: false, reason: 'invalid' };
  const check = await checkToken(deps, token);
  if (check.ok) return { ok: true, userId: check.user.id };
  return { ok: false, reason: check.reason === 'expired' ? 'expired' : 'invalid' };
}
