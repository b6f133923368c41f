import { fail } from '../protocol/errors.js';
import { infoFrame } from '../protocol/frames.js';
import { nowTs } from '../protocol/time.js';
import { parseUuid } from '../content/uuid.js';
import { broadcast } from '../domain/fanout.js';
import { managesRoom } from '../domain/conversation-rules.js';
import { userIdOrFail } from './shared/guards.js';
import { step } from './shared/step.js';
import { kickableRoles, refuseKick, roomMembershipOrFail } from './shared/rooms.js';
import { updateRoom } from './shared/room-update.js';
import { logOpEvent } from './shared/log-event.js';
import { logEvents, tellOwnSessions } from '../domain/sync/sync-log.js';
import { created, ok, type OpResult, type UserOp, type UserOpContext } from './op.js';
import { RoomSchema, type RoomBody } from '../protocol/schemas/room.js';

type Action = (ctx: UserOpContext, body: RoomBody) => Promise<OpResult>;

const ACTIONS: Record<string, Action> = { create, invite, leave, kick, update: updateAction, role: changeRole };

/** PROTOCOL §3.6, with the fixes of §12 items 3–6 and an owner-only `role` action. */
export const room: UserOp<RoomBody> = {
  name: 'room',
  auth: 'user',
  cost: 1,
  failure: 'databaseError',
  schema: RoomSchema,
  async handle(ctx, body) {
    const action = Object.hasOwn(ACTIONS, body.action ?? '') ? ACTIONS[body.action ?? ''] : undefined;
    if (!action) return fail('unknownRoomAction');
    return action(ctx, body);
  },
};

function roomIdOrFail(body: RoomBody): string {
  return parseUuid(body.id ?? '') ?? fail('invalidRoomId');
}

async function create(ctx: UserOpContext, body: RoomBody): Promise<OpResult> {
  const pub = body.desc?.public ?? null;
  const convId = await step(ctx, 'createRoomFailed', () => ctx.deps.stores.conversations.createRoom(ctx.userId, pub));
  return created({ conv: convId, public: pub });
}

/** Adds a user; an active member keeps their role, a removed one returns as `member` (§12 item 4); not someone who blocked the inviter. */
async function invite(ctx: UserOpContext, body: RoomBody): Promise<OpResult> {
  const convId = roomIdOrFail(body);
  const userId = userIdOrFail(body.user ?? '');
  const me = await roomMembershipOrFail(ctx, convId, ctx.userId);
  if (!managesRoom(me.role)) fail('onlyOwnerAdminInvite');
  const target = await step(ctx, 'databaseError', () => ctx.deps.stores.accounts.getUser(userId));
  if (!target || target.state === 'deleted') fail('userNotFound');
  // Nobody is put into a room by someone they blocked.
  if (await step(ctx, 'databaseError', () => ctx.deps.stores.membership.hasBlocked(userId, ctx.userId))) fail('blocked');
  await step(ctx, 'addMemberFailed', () => ctx.deps.stores.membership.addMember(convId, userId));
  const ts = nowTs();
  const cursor = await logOpEvent(ctx, 'addMemberFailed', { conversationId: convId, userId: null, kind: 'member_joined', from: ctx.userId, subject: userId });
  const frame = infoFrame({ conv: convId, from: ctx.userId, what: 'member_joined', user: userId, ts, cursor });
  return ok({ conv: convId, user: userId, public: target.public ?? null, ts }, () => broadcast(ctx.deps, convId, ctx.userId, frame));
}

/** A DM cannot be left (§12 item 3); the owner cannot leave. */
async function leave(ctx: UserOpContext, body: RoomBody): Promise<OpResult> {
  const convId = roomIdOrFail(body);
  const me = await roomMembershipOrFail(ctx, convId, ctx.userId);
  if (me.role === 'owner') fail('ownerCannotLeave');
  const left = await step(ctx, 'leaveFailed', () => ctx.deps.stores.membership.removeMember(convId, ctx.userId, ['admin', 'member']));
  if (!left) fail('notMember');
  const ts = nowTs();
  // The room hears it; her own other devices learn it through an event of hers (she is no longer a member).
  const leaving = { conversationId: convId, kind: 'member_left', from: ctx.userId } as const;
  const [cursor, own] = await step(ctx, 'leaveFailed', () =>
    logEvents(ctx.deps, [
      { ...leaving, userId: null },
      { ...leaving, userId: ctx.userId },
    ]),
  );
  const frame = infoFrame({ conv: convId, from: ctx.userId, what: 'member_left', ts, cursor });
  const mine = infoFrame({ conv: convId, from: ctx.userId, what: 'member_left', ts, cursor: own });
  return ok({ conv: convId, ts }, async () => {
    await broadcast(ctx.deps, convId, ctx.userId, frame);
    tellOwnSessions(ctx.deps, ctx.userId, mine, ctx.session.id);
  });
}

/** The kicked user hears `member_kicked` too (§12 item 6), then receives nothing more from the room. */
async function kick(ctx: UserOpContext, body: RoomBody): Promise<OpResult> {
  const convId = roomIdOrFail(body);
  const userId = userIdOrFail(body.user ?? '');
  const me = await roomMembershipOrFail(ctx, convId, ctx.userId);
  if (!managesRoom(me.role)) fail('onlyOwnerAdminKick');
  const { membership } = ctx.deps.stores;
  const allowed = kickableRoles(me.role);
  const target = await step(ctx, 'databaseError', () => membership.getActiveMembership(convId, userId));
  if (!target || !allowed.includes(target.role)) refuseKick(me.role, target);
  const removed = await step(ctx, 'kickFailed', () => membership.removeMember(convId, userId, allowed));
  if (!removed) refuseKick(me.role, await step(ctx, 'databaseError', () => membership.getActiveMembership(convId, userId)));
  const ts = nowTs();
  const kicked = { conversationId: convId, kind: 'member_kicked', from: ctx.userId, subject: userId } as const;
  // The room's event, and one of the removed user's own: she is no longer a member, so only that one reaches her sync.
  const [cursor, theirs] = await step(ctx, 'kickFailed', () =>
    logEvents(ctx.deps, [
      { ...kicked, userId: null },
      { ...kicked, userId },
    ]),
  );
  const frame = infoFrame({ conv: convId, from: ctx.userId, what: 'member_kicked', user: userId, ts, cursor });
  const toKicked = infoFrame({ conv: convId, from: ctx.userId, what: 'member_kicked', user: userId, ts, cursor: theirs });
  return ok({ conv: convId, user: userId, ts }, async () => {
    await broadcast(ctx.deps, convId, ctx.userId, frame);
    ctx.deps.bus.publish([userId], toKicked);
  });
}

async function updateAction(ctx: UserOpContext, body: RoomBody): Promise<OpResult> {
  const convId = roomIdOrFail(body);
  const me = await roomMembershipOrFail(ctx, convId, ctx.userId);
  if (!managesRoom(me.role)) fail('onlyOwnerAdminUpdate');
  return updateRoom(ctx, convId, body);
}

/** Added: the owner promotes a member to admin or demotes an admin to member. */
async function changeRole(ctx: UserOpContext, body: RoomBody): Promise<OpResult> {
  const convId = roomIdOrFail(body);
  const userId = userIdOrFail(body.user ?? '');
  const role = body.role;
  if (role !== 'admin' && role !== 'member') return fail('invalidRole');
  const me = await roomMembershipOrFail(ctx, convId, ctx.userId);
  if (me.role !== 'owner') fail('onlyOwnerRoles');
  if (userId === ctx.userId) fail('cannotChangeOwnerRole');
  const { membership } = ctx.deps.stores;
  const target = await step(ctx, 'databaseError', () => membership.getActiveMembership(convId, userId));
  if (!target) fail('userNotMember');
  if (target.role === 'owner') fail('cannotChangeOwnerRole');
  const changed = await step(ctx, 'changeRoleFailed', () => membership.setRole(convId, userId, role));
  if (!changed) fail('userNotMember');
  const ts = nowTs();
  const cursor = await logOpEvent(ctx, 'changeRoleFailed', {
    conversationId: convId,
    userId: null,
    kind: 'role_changed',
    from: ctx.userId,
    subject: userId,
    extra: role,
  });
  const frame = infoFrame({ conv: convId, from: ctx.userId, what: 'role_changed', user: userId, content: { role }, ts, cursor });
  return ok({ conv: convId, user: userId, role, ts }, () => broadcast(ctx.deps, convId, ctx.userId, frame));
}
