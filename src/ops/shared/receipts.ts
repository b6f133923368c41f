import { fail } from '../../protocol/errors.js';
import { infoFrame } from '../../protocol/frames.js';
import { formatTs } from '../../protocol/time.js';
import type { OpResult, UserOpContext } from '../op.js';
import type { Receipts } from '../../store/receipt-store.js';
import { broadcastActivity } from '../../domain/fanout.js';
import { activeMembershipOrFail, convIdOrFail } from './guards.js';
import { logOpEvent } from './log-event.js';

/**
 * Shared path of `read` and `recv` (§3.14, §3.15) for active members: the
 * position is clamped to the conversation's last seq and never moves
 * backwards; the reply and the `info` carry the position now stored.
 */
export async function moveReceipt(
  ctx: UserOpContext,
  body: { conv?: string; seq?: number },
  what: 'read' | 'recv',
  store: (conv: string, seq: number, ttl: number | null, at: Date) => Promise<Receipts | null>,
): Promise<OpResult> {
  const { deps, userId } = ctx;
  if (!body.conv || body.seq === undefined || body.seq <= 0) fail(what === 'read' ? 'missingReadData' : 'missingRecvData');
  const conv = convIdOrFail(body.conv);
  // Receipts are capped per conversation (10/s, bursts of 20) so one chat cannot flood its members.
  if (!ctx.session.allowReceipt(`${what}:${conv}`)) fail('rateLimited');
  await activeMembershipOrFail(ctx, conv, userId);
  const conversation = await deps.stores.membership.getConversation(conv);
  if (!conversation) fail('conversationNotFound');
  const at = new Date();
  const pos = await store(conv, Math.min(body.seq, conversation.lastSeq), conversation.disappearingTtl, at);
  if (!pos) fail('notMember');
  const seq = what === 'read' ? pos.readSeq : pos.recvSeq;
  const ts = formatTs(at);
  const cursor = await logOpEvent(ctx, 'databaseError', { conversationId: conv, userId: null, kind: what, from: userId, seq, at });
  const frame = infoFrame({ conv, from: userId, what, seq, ts, cursor });
  return { code: 200, params: { conv, seq, ts }, after: () => broadcastActivity(deps, conv, userId, what, frame, { exceptSession: ctx.session.id }) };
}
