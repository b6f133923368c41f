import { fail, type ErrorName } from '../../protocol/errors.js';
import type { MessageRecord } from '../../store/message-record.js';
import type { UserOpContext } from '../op.js';
import { activeMembershipOrFail, blockedIn, convIdOrFail } from './guards.js';

export interface FoundMessage {
  conv: string;
  seq: number;
  msg: MessageRecord;
}

/**
 * The message `seq` of `conv` as an active member sees it: `missing` (the
 * op's own 400) without conv or a positive seq, 403 for non-members, 404 for
 * an unknown seq.
 */
export async function memberMessage(ctx: UserOpContext, body: { conv?: string; seq?: number }, missing: ErrorName): Promise<FoundMessage> {
  if (!body.conv || body.seq === undefined || body.seq <= 0) fail(missing);
  const conv = convIdOrFail(body.conv);
  await activeMembershipOrFail(ctx, conv, ctx.userId);
  const msg = await ctx.deps.stores.history.find(conv, body.seq);
  if (!msg) fail('messageNotFound');
  return { conv, seq: body.seq, msg };
}

/**
 * As `memberMessage`, and the requester sent it (`403 not your message`
 * otherwise) and may still change it: not in a DM whose other participant
 * blocked them (`403 blocked`), so her copy stays as she received it.
 */
export async function ownMessage(ctx: UserOpContext, body: { conv?: string; seq?: number }, missing: ErrorName): Promise<FoundMessage> {
  const found = await memberMessage(ctx, body, missing);
  requireSender(found.msg, ctx.userId);
  await refuseIfBlocked(ctx, found.conv);
  return found;
}

/** `403 blocked` when the other participant of DM `conv` blocked the requester. */
export async function refuseIfBlocked(ctx: UserOpContext, conv: string): Promise<void> {
  if (await blockedIn(ctx, conv, ctx.userId)) fail('blocked');
}

export function requireSender(msg: MessageRecord, userId: string): void {
  if (msg.from !== userId) fail('notYourMessage');
}
