import { parseUuid } from '../content/uuid.js';
import { createInvite, redeemByUser } from '../domain/invites.js';
import { hasControlChars, parseEmailAddress } from '../mail/address.js';
import { fail } from '../protocol/errors.js';
import { formatTs } from '../protocol/time.js';
import type { InviteRecord } from '../store/invite-store.js';
import { step } from './shared/step.js';
import { created, ok, type OpResult, type UserOp, type UserOpContext } from './op.js';
import { InviteSchema, type InviteBody } from '../protocol/schemas/invite.js';

const MAX_NAME_CHARS = 128;

/** PROTOCOL §3.17: one sub-action, in the precedence create, list, revoke, redeem. */
export const invite: UserOp<InviteBody> = {
  name: 'invite',
  auth: 'user',
  cost: 2,
  failure: 'databaseError',
  schema: InviteSchema,
  async handle(ctx, body) {
    if (body.create) return create(ctx, body.create);
    if (body.list === true) return list(ctx);
    if (body.revoke) return revoke(ctx, body.revoke);
    if (body.redeem) return redeem(ctx, body.redeem);
    return fail('invalidInviteRequest');
  },
};

async function create(ctx: UserOpContext, req: NonNullable<InviteBody['create']>): Promise<OpResult> {
  const email = parseEmailAddress(req.email ?? '');
  if (email === null) return fail('invalidEmail');
  const rawName = req.name ?? '';
  // A line break in the name would reach the mail's greeting and, through it, headers.
  if (hasControlChars(rawName)) fail('invalidEmail');
  const name = rawName.trim() === '' ? null : rawName.trim();
  if (name !== null && [...name].length > MAX_NAME_CHARS) fail('inviteNameTooLong');
  const inv = await step(ctx, 'createInviteFailed', () => createInvite(ctx.deps, ctx.log, ctx.userId, email, name));
  return created({ id: inv.id, code: inv.code, email: inv.email, name: inv.name, expiresAt: formatTs(inv.expiresAt) });
}

async function list(ctx: UserOpContext): Promise<OpResult> {
  const invites = await step(ctx, 'getInvitesFailed', () => ctx.deps.stores.invites.listByInviter(ctx.userId));
  return ok({ invites: invites.map(listItem) });
}

function listItem(i: InviteRecord): Record<string, unknown> {
  const item: Record<string, unknown> = {
    id: i.id,
    email: i.email,
    status: i.status,
    createdAt: formatTs(i.createdAt),
    expiresAt: formatTs(i.expiresAt),
  };
  if (i.name !== null) item.name = i.name;
  if (i.status === 'pending') item.code = i.code;
  if (i.usedAt) item.usedAt = formatTs(i.usedAt);
  if (i.usedBy) item.usedBy = i.usedBy;
  return item;
}

async function revoke(ctx: UserOpContext, rawId: string): Promise<OpResult> {
  const id = parseUuid(rawId);
  if (!id) return fail('invalidInviteId');
  // Any failure other than an outage answers as the spec's revoke does: not found or used.
  const revoked = await step(ctx, 'inviteNotFoundOrUsed', () => ctx.deps.stores.invites.revoke(id, ctx.userId));
  if (!revoked) fail('inviteNotFoundOrUsed');
  return ok({ id });
}

async function redeem(ctx: UserOpContext, code: string): Promise<OpResult> {
  const { inviter, conv } = await step(ctx, 'redeemFailed', async () => {
    const me = await ctx.deps.stores.accounts.getUser(ctx.userId);
    if (!me) return fail('redeemFailed');
    return redeemByUser(ctx.deps, code, me);
  });
  return ok({ inviter: inviter.id, inviterPublic: inviter.public ?? null, conv });
}
