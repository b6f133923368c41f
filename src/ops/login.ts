import { fail, type ErrorName } from '../protocol/errors.js';
import { checkToken, type TokenRefusal } from '../domain/token-check.js';
import { verifyPassword } from '../crypto/passwords.js';
import { decodeBasicSecret } from '../domain/credentials.js';
import { completeLogin, loginParams } from './shared/login-flow.js';
import type { UserRecord } from '../store/account-store.js';
import { ok, type OpContext, type PublicOp } from './op.js';
import { LoginSchema, type LoginBody } from '../protocol/schemas/login.js';

// Verified against when the name is unknown, so timing does not tell which names exist.
const DECOY_HASH = '$argon2id$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** PROTOCOL §3.2 (basic and token), refusing suspended accounts and revoked tokens; a password starts a session, a token continues its own. */
export const login: PublicOp<LoginBody> = {
  name: 'login',
  auth: 'none',
  cost: 2,
  failure: 'databaseError',
  schema: LoginSchema,
  async handle(ctx, body) {
    if (body.scheme === 'basic') return basicLogin(ctx, body.secret ?? '');
    if (body.scheme === 'token') return tokenLogin(ctx, body.secret ?? '');
    return fail('unknownScheme');
  },
};

async function basicLogin(ctx: OpContext, secret: string) {
  const { name, password } = decodeBasicSecret(secret);
  const { accounts } = ctx.deps.stores;
  const throttle = ctx.deps.authThrottle;
  const address = ctx.session.remoteAddress;
  // Counted before the check, in one atomic step: attempts arriving together cannot outrun the limit.
  if (!(await throttle.passwordCheckAllowed(name, address))) fail('tooManyAttempts');
  const auth = await accounts.findBasicAuth(name);
  const valid = await verifyPassword(password, auth?.secret ?? DECOY_HASH);
  if (!auth || !valid) fail('invalidCredentials');
  await throttle.passwordCorrect(name, address);
  const user = await accounts.getUser(auth.userId);
  if (!user || user.state === 'deleted') fail('userNotFoundLogin');
  refuseSuspended(user);
  const done = await completeLogin(ctx, user, { kind: 'password' });
  return ok(loginParams(user, done), done.after);
}

/** Token refusals in the spec's words (§3.2). */
const TOKEN_REFUSALS = {
  invalid: 'invalidToken',
  expired: 'tokenExpired',
  'no-user': 'tokenUserNotFound',
  suspended: 'accountSuspended',
  revoked: 'invalidToken',
} as const satisfies Record<TokenRefusal, ErrorName>;

async function tokenLogin(ctx: OpContext, secret: string) {
  const check = await checkToken(ctx.deps, secret);
  if (!check.ok) return fail(TOKEN_REFUSALS[check.reason]);
  const done = await completeLogin(ctx, check.user, { kind: 'token', session: check.session, legacyKey: check.legacyKey });
  return ok(loginParams(check.user, done), done.after);
}

function refuseSuspended(user: UserRecord): void {
  if (user.state === 'suspended') fail('accountSuspended');
}
