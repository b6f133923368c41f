import { fail } from '../protocol/errors.js';
import { TokenError } from '../crypto/tokens.js';
import { verifyPassword } from '../crypto/passwords.js';
import { decodeBasicSecret } from '../domain/credentials.js';
import { completeLogin, loginParams } from './shared/login-flow.js';
import type { UserRecord } from '../store/account-store.js';
import { ok, type OpContext, type PublicOp } from './op.js';
import { object, str } from './schema-parts.js';

interface LoginBody {
  scheme?: string;
  secret?: string;
}

// Verified against when the name is unknown, so timing does not tell which names exist.
const DECOY_HASH = '$argon2id$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** PROTOCOL §3.2 (basic and token), refusing suspended accounts and revoked tokens. */
export const login: PublicOp<LoginBody> = {
  name: 'login',
  auth: 'none',
  cost: 2,
  failure: 'databaseError',
  schema: object({ scheme: str(16), secret: str(8192) }),
  async handle(ctx, body) {
    if (body.scheme === 'basic') return basicLogin(ctx, body.secret ?? '');
    if (body.scheme === 'token') return tokenLogin(ctx, body.secret ?? '');
    return fail('unknownScheme');
  },
};

async function basicLogin(ctx: OpContext, secret: string) {
  const { name, password } = decodeBasicSecret(secret);
  const { accounts } = ctx.services.stores;
  const throttle = ctx.services.authThrottle;
  const address = ctx.session.remoteAddress;
  if (!(await throttle.loginAllowed(name, address))) fail('tooManyAttempts');
  const auth = await accounts.findBasicAuth(name);
  const valid = await verifyPassword(password, auth?.secret ?? DECOY_HASH);
  if (!auth || !valid) {
    await throttle.loginFailed(name, address);
    fail('invalidCredentials');
  }
  await throttle.loginSucceeded(name);
  const user = await accounts.getUser(auth.userId);
  if (!user || user.state === 'deleted') fail('userNotFoundLogin');
  refuseSuspended(user);
  return ok(loginParams(user, await completeLogin(ctx, user)));
}

async function tokenLogin(ctx: OpContext, secret: string) {
  let claims;
  try {
    claims = await ctx.services.tokens.verify(secret);
  } catch (err) {
    if (err instanceof TokenError) fail(err.reason === 'expired' ? 'tokenExpired' : 'invalidToken');
    throw err;
  }
  const user = await ctx.services.stores.accounts.getUser(claims.userId);
  if (!user || user.state === 'deleted') fail('tokenUserNotFound');
  refuseSuspended(user);
  // Tokens issued before the last password change no longer work (§12 item 15).
  if (claims.epoch < user.tokenEpoch) fail('invalidToken');
  return ok(loginParams(user, await completeLogin(ctx, user)));
}

function refuseSuspended(user: UserRecord): void {
  if (user.state === 'suspended') fail('accountSuspended');
}
