import { parseUuid } from '../../content/uuid.js';
import { fail } from '../../protocol/errors.js';
import type { MembershipRecord } from '../../store/membership-store.js';
import { sendRefusal } from '../../store/member-snapshot.js';
import { step } from './step.js';
import type { OpContext } from '../op.js';

/** The canonical conversation id, or `400 invalid conv id`. */
export function convIdOrFail(raw: string): string {
  return parseUuid(raw) ?? fail('invalidConvId');
}

/** The canonical user id, or `400 invalid user id`. */
export function userIdOrFail(raw: string): string {
  return parseUuid(raw) ?? fail('invalidUserId');
}

/** The active membership, or `403 not a member`: members who left or were kicked are refused too (§12 items 1–2). */
export async function activeMembershipOrFail(ctx: OpContext, convId: string, userId: string): Promise<MembershipRecord> {
  const m = await ctx.deps.stores.membership.getActiveMembership(convId, userId);
  return m ?? fail('notMember');
}

/** `limit` for history and mentions: 1–100, anything else 50 (§3.8). */
export function pageLimit(limit: number | undefined): number {
  return limit !== undefined && limit >= 1 && limit <= 100 ? limit : 50;
}

/** Whether the other participant of DM `convId` blocked the requester: settings shared by both are then refused. */
export async function blockedIn(ctx: OpContext, convId: string, userId: string): Promise<boolean> {
  const members = await step(ctx, 'databaseError', () => ctx.deps.stores.membership.snapshot(convId));
  return members !== null && sendRefusal(members, userId) === 'blocked';
}
