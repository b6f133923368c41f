import { fail } from '../protocol/errors.js';
import { infoFrame } from '../protocol/frames.js';
import { formatTs } from '../protocol/time.js';
import { broadcast } from '../domain/fanout.js';
import { managesRoom } from '../domain/conversation-rules.js';
import { blockedIn, convIdOrFail } from './shared/guards.js';
import { step } from './shared/step.js';
import { logOpEvent } from './shared/log-event.js';
import { ok, type UserOp } from './op.js';
import { PinSchema, type PinBody } from '../protocol/schemas/pin.js';

/**
 * PROTOCOL §3.19 and §5.7: one pin per conversation; DM participants or
 * room owner/admin. The pin reply carries `conv` (§12 item 29). A DM
 * participant who blocked the pinner is not told (§12 item 18).
 */
export const pin: UserOp<PinBody> = {
  name: 'pin',
  auth: 'user',
  cost: 1,
  failure: 'databaseError',
  schema: PinSchema,
  async handle(ctx, body) {
    if (!body.conv) fail('missingPinData');
    const convId = convIdOrFail(body.conv);
    const { membership, conversations, history } = ctx.deps.stores;
    const conv = await step(ctx, 'databaseError', () => membership.getConversation(convId));
    if (!conv) fail('conversationNotFound');
    const me = await step(ctx, 'databaseError', () => membership.getActiveMembership(convId, ctx.userId));
    if (!me) fail('notMember');
    if (conv.type === 'room' && !managesRoom(me.role)) fail('onlyOwnerAdminPin');
    // The pin is shared by both DM participants: the blocked one may not change it.
    if (conv.type === 'dm' && (await blockedIn(ctx, convId, ctx.userId))) fail('blocked');

    const seq = body.seq ?? 0;
    const at = new Date();
    if (seq === 0) {
      await step(ctx, 'unpinFailed', () => conversations.setPin(convId, null));
      const cursor = await logOpEvent(ctx, 'unpinFailed', { conversationId: convId, userId: null, kind: 'unpin', from: ctx.userId, at });
      const frame = infoFrame({ conv: convId, from: ctx.userId, what: 'unpin', ts: formatTs(at), cursor });
      return ok({ conv: convId, unpinnedAt: formatTs(at) }, () => broadcast(ctx.deps, convId, ctx.userId, frame));
    }
    const messageId = seq > 0 ? await step(ctx, 'databaseError', () => history.messageIdAt(convId, seq)) : null;
    if (!messageId) fail('messageNotFound');
    await step(ctx, 'pinFailed', () => conversations.setPin(convId, { messageId, at, by: ctx.userId }));
    const cursor = await logOpEvent(ctx, 'pinFailed', { conversationId: convId, userId: null, kind: 'pin', from: ctx.userId, seq, at });
    const frame = infoFrame({ conv: convId, from: ctx.userId, what: 'pin', seq, ts: formatTs(at), cursor });
    return ok({ conv: convId, seq, pinnedAt: formatTs(at) }, () => broadcast(ctx.deps, convId, ctx.userId, frame));
  },
};
