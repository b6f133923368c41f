import { fail, type ErrorName } from '../protocol/errors.js';
import { OpError } from '../protocol/op-error.js';
import type { OpContext } from '../ops/op.js';
import { parseUuid } from '../content/uuid.js';
import type { MembershipRecord, Role } from '../store/membership-store.js';

/** Disappearing-message TTLs a conversation may have, in seconds (§5.5); 0 turns it off. */
export const CONVERSATION_TTLS: ReadonlySet<number> = new Set([0, 10, 30, 60, 300, 3600, 86400, 604800]);

/** Checks a requested TTL; returns the stored value (0 → null). */
export function conversationTtl(value: number): number | null {
  if (!CONVERSATION_TTLS.has(value)) fail('invalidTtl');
  return value === 0 ? null : value;
}

/** Owner and admin manage a room (§5.8). */
export function managesRoom(role: Role): boolean {
  return role === 'owner' || role === 'admin';
}

export function convIdOrFail(raw: string): string {
  return parseUuid(raw) ?? fail('invalidConvId');
}

export function userIdOrFail(raw: string): string {
  return parseUuid(raw) ?? fail('invalidUserId');
}

/** The active membership, or `403 not a member`: members who left or were kicked are refused too (§12 item 1). */
export async function activeMembershipOrFail(ctx: OpContext, convId: string, userId: string): Promise<MembershipRecord> {
  const m = await step(ctx, 'databaseError', () => ctx.services.stores.membership.getActiveMembership(convId, userId));
  return m ?? fail('notMember');
}

/**
 * Runs one storage step; an unexpected failure answers the spec's text for
 * that step (`failed to create dm`, ...). Outages still reach the dispatcher,
 * which answers 503, and the cause is logged, never sent.
 */
export async function step<T>(ctx: OpContext, failure: ErrorName, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof OpError || ctx.services.health.isUnavailable(err)) throw err;
    ctx.log.error({ err }, failure);
    return fail(failure);
  }
}
