import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { CloseCode } from '../protocol/close-codes.js';
import { noticeFrame } from '../protocol/frames.js';
import { formatTs } from '../protocol/time.js';
import type { Deps } from '../runtime/deps.js';
import type { SessionRecord } from '../store/session-store.js';
import { sessionExpiry } from './token-check.js';

type SessionDeps = Pick<Deps, 'stores' | 'bus' | 'config' | 'log'>;

/**
 * An address as stored and shown: IPv4 without its last part (`203.0.113.x`),
 * IPv6 to its /48 (`2001:db8:85a3::x`). The full address is never stored.
 */
export function maskIp(address: string): string {
  const a = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  if (isIP(a) === 4) return `${a.split('.').slice(0, 3).join('.')}.x`;
  if (isIP(a) === 6) {
    const [head = ''] = a.split('::');
    const groups = head.split(':').filter(Boolean);
    return `${groups.slice(0, 3).join(':') || '0'}::x`;
  }
  return '';
}

/** A session as her clients see it (`get sessions`, the `new_session` notice). */
export function sessionView(s: SessionRecord, current: boolean, online: boolean): Record<string, unknown> {
  return {
    id: s.id,
    current,
    online,
    ua: s.ua,
    deviceId: s.deviceId,
    lang: s.lang,
    ip: s.ip,
    createdAt: formatTs(s.createdAt),
    lastActive: formatTs(s.lastActive),
  };
}

/** Closes the sockets of the given sessions on every node; a bus failure is logged (their tokens are already refused). */
async function closeSessions(deps: SessionDeps, userId: string, ids: readonly string[], code: number): Promise<void> {
  await Promise.all(
    ids.map((session) =>
      deps.bus.control(userId, { kind: 'end-sessions', code, session }).catch((err: unknown) => {
        deps.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'ending a session on other nodes failed');
      }),
    ),
  );
}

/**
 * Starts a session for a login with a password (or a token that names no
 * session), then ends her oldest sessions beyond MVCHAT_MAX_SESSIONS.
 */
export async function startSession(
  deps: SessionDeps,
  userId: string,
  client: { ua: string; dev: string; lang: string },
  address: string,
  legacyKey?: string,
): Promise<SessionRecord> {
  const at = new Date();
  const { sessions } = deps.stores;
  await sessions.pruneEnded(userId, new Date(at.getTime() - Math.max(deps.config.tokenLifetime, deps.config.sessionLifetime) * 1000));
  const created = await sessions.create({
    id: randomUUID(),
    userId,
    ua: client.ua,
    deviceId: client.dev,
    lang: client.lang,
    ip: maskIp(address),
    legacyKey,
    at,
  });
  const since = new Date(at.getTime() - deps.config.sessionLifetime * 1000);
  const ended = await sessions.endBeyond(userId, Math.max(1, Math.floor(deps.config.maxSessions)), since, at);
  await closeSessions(deps, userId, ended, CloseCode.SESSION_ENDED);
  return created;
}

/** Her live sessions, oldest first. */
export function liveSessions(deps: Pick<Deps, 'stores' | 'config'>, userId: string, now = new Date()): Promise<SessionRecord[]> {
  return deps.stores.sessions.listActive(userId, new Date(now.getTime() - deps.config.sessionLifetime * 1000));
}

/** Whether `session` may still be used: not ended and within its lifetime. */
export function sessionLive(deps: Pick<Deps, 'config'>, s: SessionRecord | null, now = new Date()): boolean {
  return s !== null && s.endedAt === null && sessionExpiry(deps, s.createdAt) > now;
}

/** Ends one of her sessions: its tokens stop working and its sockets close everywhere (except `keepSocket`). */
export async function endSession(deps: SessionDeps, userId: string, session: string, keepSocket?: string): Promise<boolean> {
  if (!(await deps.stores.sessions.end(userId, session, new Date()))) return false;
  await deps.bus
    .control(userId, { kind: 'end-sessions', code: CloseCode.SESSION_ENDED, session, exceptSession: keepSocket })
    .catch((err: unknown) => deps.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'ending a session on other nodes failed'));
  return true;
}

/**
 * Ends every session of hers but `current` (every one with null), voids the
 * tokens that name no session issued until now, and closes their sockets on
 * every node with `code`.
 */
export async function endOtherSessions(deps: SessionDeps, userId: string, current: string | null, code: number = CloseCode.SESSION_ENDED): Promise<string[]> {
  const ended = await deps.stores.sessions.endAllBut(userId, current, new Date());
  // One message for every socket but the current session's: also those signed in with a token that names no session.
  await deps.bus
    .control(userId, { kind: 'end-sessions', code, ...(current !== null ? { exceptGroup: current } : {}) })
    .catch((err: unknown) => deps.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'ending sessions on other nodes failed'));
  return ended;
}

/**
 * Suspends an account and ends every session of it at once, on every node,
 * with 4011 (the admin command calls this). False when there is no such
 * account (or it is deleted).
 */
export async function suspendAccount(deps: SessionDeps, userId: string): Promise<boolean> {
  if (!(await deps.stores.accounts.suspend(userId))) return false;
  await endOtherSessions(deps, userId, null, CloseCode.ACCOUNT_SUSPENDED);
  return true;
}

/**
 * Sends `{"notice":{what, ...notice, ts}}` to her live sessions on every node
 * whose `hi` carried `notices: true`, except session `exceptSession` (a
 * session id as in the login reply's `session`; null for none).
 */
export async function notifyOtherSessions(
  deps: Pick<Deps, 'bus' | 'log'>,
  userId: string,
  exceptSession: string | null,
  notice: { what: string; [key: string]: unknown },
): Promise<void> {
  const frame = noticeFrame({ ...notice, ts: formatTs(new Date()) });
  await deps.bus
    .control(userId, { kind: 'notice', frame, ...(exceptSession !== null ? { exceptGroup: exceptSession } : {}) })
    .catch((err: unknown) => deps.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'notice to other nodes failed'));
}
