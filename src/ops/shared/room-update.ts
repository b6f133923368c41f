import { infoFrame } from '../../protocol/frames.js';
import { nowTs } from '../../protocol/time.js';
import type { RoomChanges } from '../../store/conversation-store.js';
import type { OpResult, UserOpContext } from '../op.js';
import type { RoomBody } from '../../protocol/schemas/room.js';
import { ok } from '../op.js';
import { conversationTtl } from '../../domain/conversation-rules.js';
import { step } from './step.js';
import { logEvents, type EventToLog } from '../../domain/sync/sync-log.js';
import { broadcast } from '../../domain/fanout.js';

/** The parts of a `room` body that `update` applies. */
export type RoomUpdate = Pick<RoomBody, 'desc' | 'disappearingTTL' | 'noScreenshots'>;

/**
 * `room update` (§3.6) with §12 item 5 fixed: every given part applies, in
 * one statement; public data changes only when `desc.public` is present.
 * The reply names each applied key; each change is announced as the spec
 * describes it alone: `disappearing_updated` and the no-screenshots
 * `room_updated` reach every session, the public-data `room_updated` skips
 * the requesting socket.
 */
export async function updateRoom(ctx: UserOpContext, convId: string, body: RoomUpdate): Promise<OpResult> {
  const changes: RoomChanges = {};
  if (body.disappearingTTL !== undefined) changes.ttl = conversationTtl(body.disappearingTTL);
  if (body.noScreenshots !== undefined) changes.noScreenshots = body.noScreenshots;
  if (body.desc && 'public' in body.desc) changes.public = body.desc.public;

  const params: Record<string, unknown> = { conv: convId };
  if (Object.keys(changes).length === 0) return ok(params);
  const failure = 'ttl' in changes ? 'updateTtlFailed' : changes.noScreenshots !== undefined ? 'updateNoScreenshotsFailed' : 'updateRoomFailed';
  await step(ctx, failure, () => ctx.deps.stores.conversations.updateConversation(convId, changes));

  const ts = nowTs();
  const event = (kind: 'disappearing_updated' | 'room_updated', extra?: string): EventToLog => ({
    conversationId: convId,
    userId: null,
    kind,
    from: ctx.userId,
    extra,
  });
  const events: EventToLog[] = [];
  if ('ttl' in changes) events.push(event('disappearing_updated'));
  if (changes.noScreenshots !== undefined) events.push(event('room_updated'));
  if ('public' in changes) events.push(event('room_updated', 'public'));
  const cursors = await step(ctx, failure, () => logEvents(ctx.deps, events));
  const frames: { frame: string; skipRequester: boolean }[] = [];
  if ('ttl' in changes) {
    params.disappearingTTL = changes.ttl ?? null;
    frames.push({
      frame: infoFrame({ conv: convId, from: ctx.userId, what: 'disappearing_updated', ttl: changes.ttl ?? undefined, ts, cursor: cursors.shift() }),
      skipRequester: false,
    });
  }
  if (changes.noScreenshots !== undefined) {
    params.noScreenshots = changes.noScreenshots;
    frames.push({ frame: infoFrame({ conv: convId, from: ctx.userId, what: 'room_updated', ts, cursor: cursors.shift() }), skipRequester: false });
  }
  if ('public' in changes) {
    params.public = changes.public ?? null;
    frames.push({
      frame: infoFrame({ conv: convId, from: ctx.userId, what: 'room_updated', content: changes.public ?? null, ts, cursor: cursors.shift() }),
      skipRequester: true,
    });
  }
  return ok(params, async () => {
    for (const { frame, skipRequester } of frames) {
      await broadcast(ctx.deps, convId, ctx.userId, frame, skipRequester ? { exceptSession: ctx.session.id } : {});
    }
  });
}
