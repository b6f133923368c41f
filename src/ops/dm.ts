import { fail } from '../protocol/errors.js';
import { infoFrame } from '../protocol/frames.js';
import { nowTs } from '../protocol/time.js';
import { broadcast } from '../domain/fanout.js';
import { userSummaries } from '../domain/user-view.js';
import { conversationTtl } from '../domain/conversation-rules.js';
import { activeMembershipOrFail, blockedIn, convIdOrFail, userIdOrFail } from './shared/guards.js';
import { step } from './shared/step.js';
import { logOpEvent } from './shared/log-event.js';
import { tellOwnSessions } from '../domain/sync/sync-log.js';
import { settingsOf } from '../domain/sync/sync-replay.js';
import type { MemberSettings } from '../store/conversation-store.js';
import { created, ok, type OpResult, type UserOp, type UserOpContext } from './op.js';
import { DmSchema, type DmBody } from '../protocol/schemas/dm.js';

/** PROTOCOL §3.5: start (or fetch) a DM, or change a conversation's settings. */
export const dm: UserOp<DmBody> = {
  name: 'dm',
  auth: 'user',
  cost: 1,
  failure: 'databaseError',
  schema: DmSchema,
  async handle(ctx, body) {
    if (body.user) return startDm(ctx, body.user);
    if (body.conv) return changeSettings(ctx, body.conv, body);
    return fail('missingUserOrConv');
  },
};

async function startDm(ctx: UserOpContext, rawUser: string): Promise<OpResult> {
  const peerId = userIdOrFail(rawUser);
  if (peerId === ctx.userId) fail('cannotDmYourself');
  const { accounts, conversations } = ctx.deps.stores;
  const peer = await step(ctx, 'databaseError', () => accounts.getUser(peerId));
  if (!peer || peer.state === 'deleted') fail('userNotFound');
  const { convId, created: isNew } = await step(ctx, 'createDmFailed', () => conversations.findOrCreateDm(ctx.userId, peerId));
  const [summary] = await userSummaries(ctx.deps, ctx.userId, [peer]);
  const params = { conv: convId, created: isNew, user: summary };
  return isNew ? created(params) : ok(params);
}

/**
 * §3.5.2 with §12 item 3 fixed: the conversation-wide TTL and `blocked` are
 * DM-only (`not a direct conversation` on rooms); the per-user flags
 * `favorite`, `muted`, `private` work on every conversation. A TTL and flags
 * in one request are all applied.
 */
async function changeSettings(ctx: UserOpContext, rawConv: string, body: DmBody): Promise<OpResult> {
  const convId = convIdOrFail(rawConv);
  await activeMembershipOrFail(ctx, convId, ctx.userId);
  const { membership, conversations } = ctx.deps.stores;
  const hasTtl = body.disappearingTTL !== undefined;
  if (hasTtl || body.blocked !== undefined) {
    const conv = await step(ctx, 'databaseError', () => membership.getConversation(convId));
    if (!conv) fail('conversationNotFound');
    if (conv.type !== 'dm') fail('notADm');
    // The TTL is shared by both participants: the blocked one may not change it.
    if (hasTtl && (await blockedIn(ctx, convId, ctx.userId))) fail('blocked');
  }
  const ttl = hasTtl ? conversationTtl(body.disappearingTTL ?? 0) : undefined;

  const settings: MemberSettings = {};
  if (body.favorite !== undefined) settings.favorite = body.favorite;
  if (body.muted !== undefined) settings.muted = body.muted;
  if (body.blocked !== undefined) settings.blocked = body.blocked;
  if ('private' in body) settings.private = body.private;

  const params: Record<string, unknown> = { conv: convId };
  if (!hasTtl && Object.keys(settings).length === 0) return ok(params);
  const change = hasTtl ? { ttl: ttl ?? null } : {};
  await step(ctx, hasTtl ? 'updateTtlFailed' : 'updateFailed', () => conversations.updateSettings(convId, ctx.userId, settings, change));
  if (hasTtl) params.disappearingTTL = ttl ?? null;
  Object.assign(params, settings);
  const ts = nowTs();
  // Her flags reach her other devices (mvchat addition) as they now are: only she gets this.
  let mine: string | null = null;
  if (Object.keys(settings).length > 0) {
    const now = await step(ctx, 'updateFailed', () => membership.getMembership(convId, ctx.userId));
    const cursor = await logOpEvent(ctx, 'updateFailed', { conversationId: convId, userId: ctx.userId, kind: 'settings', from: ctx.userId });
    if (now) mine = infoFrame({ conv: convId, from: ctx.userId, what: 'settings', content: settingsOf(now), ts, cursor });
  }
  let frame: string | null = null;
  if (hasTtl) {
    const cursor = await logOpEvent(ctx, 'updateTtlFailed', { conversationId: convId, userId: null, kind: 'disappearing_updated', from: ctx.userId });
    frame = infoFrame({ conv: convId, from: ctx.userId, what: 'disappearing_updated', ttl: ttl ?? undefined, ts, cursor });
  }
  return ok(params, async () => {
    if (mine) tellOwnSessions(ctx.deps, ctx.userId, mine, ctx.session.id);
    if (frame) await broadcast(ctx.deps, convId, ctx.userId, frame);
  });
}
