import { randomUUID } from 'node:crypto';
import { INVITE_CODE_PATTERN, INVITE_TTL_SECONDS, createInviteToken, openInviteToken, sealInviteToken, verifyInviteToken } from '../crypto/invite-codes.js';
import { maskEmail, type Logger } from '../logger.js';
import { displayName, inviteLink, inviteMail } from '../mail/templates.js';
import { fail, type ErrorName } from '../protocol/errors.js';
import type { UserRecord } from '../store/account-store.js';
import type { InviteRecord } from '../store/invite-store.js';
import type { Deps } from '../runtime/deps.js';

const HOUR_MS = 3600_000;

export type InviteLookup = { ok: true; invite: InviteRecord } | { ok: false; error: ErrorName };

/**
 * Finds a redeemable invite by its short code: pending, row and signed token
 * both unexpired, token intact. A pending invite found past its expiry is
 * written as `expired` (§12 item 12).
 */
export async function lookupInvite(deps: Deps, code: string, now = new Date()): Promise<InviteLookup> {
  if (!INVITE_CODE_PATTERN.test(code)) return { ok: false, error: 'invalidInviteCode' };
  const invite = await deps.stores.invites.findByCode(code);
  if (!invite) return { ok: false, error: 'inviteNotFoundOrUsed' };
  if (invite.status === 'expired') return { ok: false, error: 'inviteCodeExpired' };
  if (invite.status !== 'pending') return { ok: false, error: 'inviteNotFoundOrUsed' };
  const check = checkToken(deps, invite, now);
  if (check === 'expired') await deps.stores.invites.markExpired(invite.id);
  if (check !== 'ok') return { ok: false, error: check === 'expired' ? 'inviteCodeExpired' : 'invalidInviteCode' };
  return { ok: true, invite };
}

function checkToken(deps: Deps, invite: InviteRecord, now: Date): 'ok' | 'expired' | 'invalid' {
  const key = deps.config.tokenKey;
  const token = openInviteToken(key, invite.sealedToken);
  if (token === null) return 'invalid';
  const v = verifyInviteToken(key, token, now);
  if (v.status === 'invalid') return 'invalid';
  return v.status === 'expired' || invite.expiresAt <= now ? 'expired' : 'ok';
}

/** What `invite create` answers (§3.17). */
export interface CreatedInvite {
  id: string;
  code: string;
  email: string;
  name: string | null;
  expiresAt: Date;
}

/**
 * Creates an invite for `email` (already normalized) and queues its mail.
 * The answer never depends on whether the address has an account.
 */
export async function createInvite(deps: Deps, log: Logger, inviterId: string, email: string, name: string | null): Promise<CreatedInvite> {
  const { stores, config } = deps;
  const now = new Date();
  if (config.inviteRate > 0 && (await stores.invites.countCreatedSince(inviterId, new Date(now.getTime() - HOUR_MS))) >= config.inviteRate) {
    fail('tooManyInvites');
  }
  const auth = await stores.accounts.findBasicAuthByUser(inviterId);
  const inviter = await stores.accounts.getUser(inviterId);
  if (!auth || !inviter) return fail('getUserInfoFailed');
  let token: string;
  let code: string;
  let sealed: string;
  try {
    ({ token, code } = createInviteToken(config.tokenKey, auth.username, email, now));
    sealed = sealInviteToken(config.tokenKey, token);
  } catch (err) {
    log.error({ err }, 'invite code generation failed');
    return fail('generateInviteFailed');
  }
  const invite = {
    id: randomUUID(),
    inviterId,
    code,
    sealedToken: sealed,
    email,
    name,
    createdAt: now,
    expiresAt: new Date(now.getTime() + INVITE_TTL_SECONDS * 1000),
  };
  try {
    await stores.invites.insert(invite);
  } catch (err) {
    log.error({ err, to: maskEmail(email) }, 'invite insert failed');
    return fail('createInviteFailed');
  }
  log.info({ invite: invite.id, to: maskEmail(email) }, 'invite created');
  const inviterName = displayName(inviter.public);
  deps.mailer.send('invite', inviteMail({ to: email, inviterName, inviteeName: name, code, link: inviteLink(config.publicBaseUrl, code) }), inviterId);
  return { id: invite.id, code, email, name, expiresAt: invite.expiresAt };
}

/**
 * `invite redeem` by a logged-in user (§3.17): only that invite. Nothing is
 * consumed when the redeemer is the inviter or the invite names another
 * address than the redeemer's account.
 */
export async function redeemByUser(deps: Deps, code: string, redeemer: UserRecord): Promise<{ inviter: UserRecord; conv: string }> {
  const found = await lookupInvite(deps, code);
  if (!found.ok) return fail(found.error);
  const { invite } = found;
  if (invite.inviterId === redeemer.id) fail('ownInvite');
  // Only a verified address counts: an unverified one proves nothing, and its holder redeems like one without an e-mail.
  if (redeemer.email && redeemer.emailVerified && redeemer.email.toLowerCase() !== invite.email.toLowerCase()) fail('inviteForOtherEmail');
  const inviter = await deps.stores.accounts.getUser(invite.inviterId);
  if (!inviter || inviter.state === 'deleted') return fail('inviteNotFoundOrUsed');
  const result = await deps.stores.invites.redeem([invite], redeemer.id);
  if (result === 'gone') return fail('inviteAlreadyUsed');
  const first = result[0];
  if (!first) return fail('redeemFailed');
  return { inviter, conv: first.conv };
}

/** The invite a sign-up's `inviteCode` names, when it is redeemable; anything else is ignored (§3.3.1 step 7). */
export async function signUpInvite(deps: Deps, code: string | undefined): Promise<InviteRecord | null> {
  if (!code) return null;
  const found = await lookupInvite(deps, code);
  if (!found.ok) return null;
  const inviter = await deps.stores.accounts.getUser(found.invite.inviterId);
  return inviter && inviter.state !== 'deleted' ? found.invite : null;
}
