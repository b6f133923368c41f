import { randomBytes, randomUUID } from 'node:crypto';
import { fail } from '../protocol/errors.js';
import { hashPassword, verifyPassword } from '../crypto/passwords.js';
import { decodeBasicSecret } from '../domain/credentials.js';
import { completeLogin, loginParams } from './shared/login-flow.js';
import { endOtherSessions } from '../domain/sessions.js';
import { sessionExpiry } from '../domain/token-check.js';
import { signUpInvite } from '../domain/invites.js';
import type { StoreTransaction } from '../store/database.js';
import type { Redeemed } from '../store/invite-store.js';
import { isEmailTakenError } from '../store/invite-store.js';
import { newVerificationToken, sendVerificationMail } from '../mail/verification.js';
import { formatTs } from '../protocol/time.js';
import type { AccountChanges } from '../store/account-store.js';
import { created, ok, type OpContext, type PublicOp, type UserOpContext } from './op.js';
import { AccSchema, type AccBody } from '../protocol/schemas/acc.js';
import { DEFAULT_PRIVACY, PRESENCE_SETTINGS } from '../domain/presence-visibility.js';

export const MAX_USERNAME_CHARS = 64;
export const MAX_PASSWORD_BYTES = 1024;
const EMAIL = /^[^\s@<>()",;:\\[\]]{1,64}@[^\s@<>()",;:\\[\]]+\.[^\s@<>()",;:\\[\]]+$/;

/** PROTOCOL §3.3: sign-up (`user:"new"`, no login needed) and own-account update (`user:"me"`). */
export const acc: PublicOp<AccBody> = {
  name: 'acc',
  auth: 'none',
  authFor: (body) => (body.user === 'new' ? 'none' : 'user'),
  cost: 3,
  failure: 'databaseError',
  schema: AccSchema,
  async handle(ctx, body) {
    if (body.user === 'new') return signUp(ctx, body);
    if (body.user === 'me' && ctx.session.userId && body.delete !== undefined)
      return deleteMe({ ...ctx, userId: ctx.session.userId }, body.delete.password ?? '');
    if (body.user === 'me' && ctx.session.userId) return updateMe({ ...ctx, userId: ctx.session.userId }, body);
    return fail('invalidUserField');
  },
};

async function signUp(ctx: OpContext, body: AccBody) {
  const { config, stores, authThrottle } = ctx.deps;
  if (body.scheme !== 'basic') fail('onlyBasic');
  const { name, password } = decodeBasicSecret(body.secret ?? '');
  if (Buffer.byteLength(name) < config.minLoginLength) fail('usernameTooShort');
  if ([...name].length > MAX_USERNAME_CHARS) fail('usernameTooLong');
  if (Buffer.byteLength(password) < config.minPasswordLength) fail('passwordTooShort');
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) fail('passwordTooLong');
  if (!(await authThrottle.signupAllowed(ctx.session.remoteAddress))) fail('tooManyAttempts');
  if (await stores.accounts.findBasicAuth(name)) fail('usernameTaken');

  const id = randomUUID();
  const pub = body.desc && 'public' in body.desc ? body.desc.public : null;
  const priv = body.desc && 'private' in body.desc ? body.desc.private : null;
  // Invite parts (steps 6, 7, 12): only a redeemable code counts; any other code is ignored.
  const invite = await signUpInvite(ctx.deps, body.inviteCode);
  const email = invite?.email ?? null;
  const verification = config.emailVerification && email ? newVerificationToken(config.verificationExpiryHours) : undefined;
  let passwordHash: string;
  try {
    passwordHash = await hashPassword(password);
  } catch (err) {
    ctx.log.error({ err }, 'password hashing failed');
    return fail('hashFailed');
  }
  // Step 13 commits with the account: the invite is claimed in its transaction, or nothing is written.
  // Only the code she used connects: other invites to her address stay pending for her to redeem or ignore.
  const toRedeem = invite ? [invite] : [];
  let redeemed: Redeemed[] = [];
  const redeem = async (trx: StoreTransaction) => {
    const r = await stores.invites.redeemIn(trx, toRedeem, id, new Date());
    if (r === 'gone') throw new InviteGone();
    redeemed = r;
  };
  let result: Awaited<ReturnType<typeof stores.accounts.createAccount>>;
  try {
    result = await stores.accounts.createAccount(
      {
        id,
        username: name,
        passwordHash,
        public: pub,
        private: priv,
        email,
        emailVerified: !config.emailVerification,
        mustChangePassword: invite !== null && password === body.inviteCode,
        verificationToken: verification,
      },
      toRedeem.length > 0 ? redeem : undefined,
    );
  } catch (err) {
    if (err instanceof InviteGone) return fail('inviteAlreadyUsed');
    // A concurrent sign-up took the invite's address between the check and the insert.
    if (!isEmailTakenError(err)) throw err;
    result = 'email-taken';
  }
  if (result === 'email-taken') fail((await signUpInvite(ctx.deps, body.inviteCode)) ? 'emailTaken' : 'inviteAlreadyUsed');
  if (result !== 'created') fail('usernameTaken');
  const inviters = [...new Set(redeemed.map((r) => r.inviterId))];
  const after = verification && email ? () => sendVerificationMail(ctx.deps.mailer, ctx.deps.config, email, verification.token, id) : undefined;

  const user = await stores.accounts.getUser(id);
  if (!user) return fail('createUserFailed');
  const extra = { ...(inviters.length > 0 ? { inviters } : {}), ...(user.mustChangePassword ? { mustChangePassword: true } : {}) };
  const desc = { public: pub, ...(priv !== null && priv !== undefined ? { private: priv } : {}) };
  if (!body.login) return created({ user: id, emailVerified: user.emailVerified, desc, ...extra }, after);
  const done = await completeLogin(ctx, user, { kind: 'password' });
  const params = loginParams(user, done);
  delete params.lang; // sign-up never reports lang (§3.3.1)
  return created({ ...params, ...extra }, after);
}

async function updateMe(ctx: UserOpContext, body: AccBody) {
  const { accounts } = ctx.deps.stores;
  const changes: AccountChanges = {};
  const params: Record<string, unknown> = {};
  if (body.desc && 'public' in body.desc) {
    changes.public = body.desc.public;
    params.public = body.desc.public;
  }
  if (body.desc && 'private' in body.desc) {
    // Hers alone: stored, and answered only to her (this reply, her login, her own `get user`).
    changes.private = body.desc.private ?? null;
    params.private = body.desc.private ?? null;
  }
  if (body.secret !== undefined) {
    const { name: oldPassword, password: newPassword } = decodeBasicSecret(body.secret);
    if (Buffer.byteLength(newPassword) < ctx.deps.config.minPasswordLength) fail('newPasswordTooShort');
    if (Buffer.byteLength(newPassword) > MAX_PASSWORD_BYTES) fail('passwordTooLong');
    const auth = await accounts.findBasicAuthByUser(ctx.userId);
    if (!auth) fail('authRecordNotFound');
    // The same limiter as login: the current password cannot be guessed here past the login budget.
    const throttleKey = auth.username || ctx.userId;
    if (!(await ctx.deps.authThrottle.passwordCheckAllowed(throttleKey, ctx.session.remoteAddress))) fail('tooManyAttempts');
    if (!(await verifyPassword(oldPassword, auth.secret))) fail('incorrectPassword');
    await ctx.deps.authThrottle.passwordCorrect(throttleKey, ctx.session.remoteAddress);
    changes.passwordHash = await hashPassword(newPassword);
    params.passwordChanged = true;
  }
  const { config } = ctx.deps;
  let verification: { token: string; expires: Date } | null = null;
  if (body.email !== undefined) {
    const email = body.email.trim();
    if (email !== '' && (email.length > 255 || !EMAIL.test(email))) fail('invalidEmail');
    // A new address proves nothing until its link is followed; with verification off it stays unverified.
    verification = email !== '' && config.emailVerification ? newVerificationToken(config.verificationExpiryHours) : null;
    changes.email = { address: email === '' ? null : email, verifiedWhenEmpty: !config.emailVerification, token: verification };
    params.email = email;
  }
  if (body.lang !== undefined) {
    if (body.lang.length > 10) fail('invalidLang');
    changes.lang = body.lang;
    params.lang = body.lang;
  }
  if (body.privacy !== undefined) {
    const { presence, readReceipts } = body.privacy;
    if (presence !== undefined && !(PRESENCE_SETTINGS as readonly string[]).includes(presence)) fail('invalidPrivacy');
    // Takes effect at the next event: nobody gets a frame for the change itself (no `pres` off or on).
    if (presence !== undefined || readReceipts !== undefined) changes.privacy = { presence, readReceipts };
  }
  if (Object.keys(changes).length === 0 && body.privacy === undefined) return ok();
  const updated = Object.keys(changes).length > 0 ? await accounts.updateAccount(ctx.userId, changes) : { mail: false };
  if (body.privacy !== undefined) {
    // Her settings as now stored, to her alone.
    params.privacy = (await accounts.getUser(ctx.userId))?.privacy ?? DEFAULT_PRIVACY;
  }
  if (updated.emailVerified !== undefined) params.emailVerified = updated.emailVerified;
  const address = changes.email?.address;
  const after =
    updated.mail && verification && address ? () => sendVerificationMail(ctx.deps.mailer, config, address, verification.token, ctx.userId) : undefined;
  if (changes.passwordHash) {
    // Every other session ends at once, on every node; older tokens stop working (the epoch went up).
    const current = ctx.session.group ?? null;
    await endOtherSessions(ctx.deps, ctx.userId, current);
    // This session continues: hand its client a fresh token (additive params).
    const user = await accounts.getUser(ctx.userId);
    const session = current ? await ctx.deps.stores.sessions.get(current) : null;
    if (user && session) {
      const t = await ctx.deps.tokens.issue(user.id, user.tokenEpoch, new Date(), {
        session: session.id,
        notAfter: sessionExpiry(ctx.deps, session.createdAt),
      });
      params.token = t.token;
      params.expires = formatTs(t.expires);
    }
  }
  return ok(params, after);
}

/**
 * `acc me {delete:{password}}`: the current password, checked under the login
 * limiter, then the account is marked deleted together with its erase job (from
 * that commit on nothing of hers is served and her password and tokens are
 * refused); the reply goes out, then the job ends her sessions everywhere and
 * erases the rest. Any other field of the request is ignored.
 */
async function deleteMe(ctx: UserOpContext, password: string) {
  const { accounts, deletions } = ctx.deps.stores;
  const auth = await accounts.findBasicAuthByUser(ctx.userId);
  if (!auth) fail('authRecordNotFound');
  const throttleKey = auth.username || ctx.userId;
  if (!(await ctx.deps.authThrottle.passwordCheckAllowed(throttleKey, ctx.session.remoteAddress))) fail('tooManyAttempts');
  if (!(await verifyPassword(password, auth.secret))) fail('incorrectPassword');
  await ctx.deps.authThrottle.passwordCorrect(throttleKey, ctx.session.remoteAddress);
  // A real hash of a secret nobody holds: a login with her name costs the same time as any wrong password.
  const unusable = await hashPassword(randomBytes(32).toString('base64'));
  await deletions.markDeleted(ctx.userId, unusable);
  // Marked now or by an earlier request: either way the job is recorded; start (or resume) it.
  return ok({ deleted: true }, () => ctx.deps.accountDeletions.start(ctx.userId));
}

/** The sign-up's invite was consumed by someone else meanwhile: the whole sign-up rolls back. */
class InviteGone extends Error {}
