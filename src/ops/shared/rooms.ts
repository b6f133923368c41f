import { fail } from '../../protocol/errors.js';
import type { MembershipRecord, Role } from '../../store/membership-store.js';
import type { OpContext } from '../op.js';
import { activeMembershipOrFail } from './guards.js';
import { step } from './step.js';

/**
 * The requester's active membership in a room: `403 not a member` first,
 * then `400 not a room` for a DM (§12 item 3: room actions never touch DMs).
 */
export async function roomMembershipOrFail(ctx: OpContext, convId: string, userId: string): Promise<MembershipRecord> {
  const m = await activeMembershipOrFail(ctx, convId, userId);
  const conv = await step(ctx, 'databaseError', () => ctx.deps.stores.membership.getConversation(convId));
  if (!conv) fail('conversationNotFound');
  if (conv.type !== 'room') fail('notARoom');
  return m;
}

/** Roles a requester of `role` may kick (§5.8): owner kicks admins and members, admin kicks members. */
export function kickableRoles(role: Role): Role[] {
  if (role === 'owner') return ['admin', 'member'];
  if (role === 'admin') return ['member'];
  return [];
}

/** Why `target` cannot be kicked by someone of `requesterRole` (§3.6 kick step 3), in the spec's order. */
export function refuseKick(requesterRole: Role, target: MembershipRecord | null): never {
  if (!target) fail('userNotMember');
  if (target.role === 'owner') fail('cannotKickOwner');
  if (requesterRole === 'admin' && target.role === 'admin') fail('adminCannotKickAdmin');
  // Only reached when the target changed between the check and the removal.
  return fail('userNotMember');
}
