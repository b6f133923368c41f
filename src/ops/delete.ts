import { broadcast } from '../domain/fanout.js';
import { memberMessage, refuseIfBlocked, requireSender } from './shared/message-lookup.js';
import { fail } from '../protocol/errors.js';
import { infoFrame } from '../protocol/frames.js';
import { formatTs } from '../protocol/time.js';
import { logOpEvent } from './shared/log-event.js';
import { tellOwnSessions } from '../domain/sync/sync-log.js';
import { ok, type UserOp } from './op.js';
import { DeleteSchema, type DeleteBody } from '../protocol/schemas/delete.js';

/**
 * PROTOCOL §3.11 for active members: for everyone (author, no time limit;
 * repeating it answers 200 and notifies nobody) or for me (anyone, silent).
 */
export const deleteOp: UserOp<DeleteBody> = {
  name: 'delete',
  auth: 'user',
  cost: 1,
  failure: 'deleteFailed',
  schema: DeleteSchema,
  async handle(ctx, body) {
    const { deps, userId } = ctx;
    const { conv, seq, msg } = await memberMessage(ctx, body, 'missingDeleteData');
    const now = new Date();
    const ts = formatTs(now);
    if (!body.forEveryone) {
      await deps.stores.edits.hideFor(msg.id, userId, now);
      // Her other devices hide it too (mvchat addition): only she gets this.
      const cursor = await logOpEvent(ctx, 'deleteFailed', { conversationId: conv, userId, kind: 'delete_for_me', from: userId, seq, at: now });
      const mine = infoFrame({ conv, from: userId, what: 'delete_for_me', seq, ts, cursor });
      return ok({ conv, seq: seq, ts }, async () => tellOwnSessions(deps, userId, mine, ctx.session.id));
    }
    requireSender(msg, userId);
    await refuseIfBlocked(ctx, conv);
    const changed = await deps.stores.edits.markDeleted(msg.id, now, false);
    if (!changed) return ok({ conv, seq: seq, ts });
    const cursor = await logOpEvent(ctx, 'deleteFailed', { conversationId: conv, userId: null, kind: 'delete', from: userId, seq, at: now });
    const frame = infoFrame({ conv, from: userId, what: 'delete', seq: seq, ts, cursor });
    return ok({ conv, seq: seq, ts }, () => broadcast(deps, conv, userId, frame, { exceptSession: ctx.session.id }));
  },
};
