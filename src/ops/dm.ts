import { fail } from '../protocol/errors.js';
import { infoFrame } from '../protocol/frames.js';
import { nowTs } from '../protocol/time.js';
import { broadcast } from '../domain/fanout.js';
import { userSummaries } from '../domain/user-view.js';
import { conversationTtl } from '../domain/conversation-rules.js';
import { activeMembershipOrFail, blockedIn, convIdOrFail, userIdOrFail } from './shared/guards.js';
import { step } from './shared/step.js';
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
  if (!hasTtl) return ok(params);
  const frame = infoFrame({ conv: convId, from: ctx.userId, what: 'disappearing_updated', ttl: ttl ?? undefined, ts: nowTs() });
  return ok(params, () => broadcast(ctx.deps, convId, ctx.userId, frame));
}
