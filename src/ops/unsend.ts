import { broadcast } from '../domain/fanout.js';
import { ownMessage } from './shared/message-lookup.js';
import { UNSEND_WINDOW_MS } from '../protocol/message-head.js';
import { fail } from '../protocol/errors.js';
import { infoFrame } from '../protocol/frames.js';
import { formatTs } from '../protocol/time.js';
import { logOpEvent } from './shared/log-event.js';
import { ok, type UserOp } from './op.js';
import { UnsendSchema, type UnsendBody } from '../protocol/schemas/unsend.js';

/**
 * PROTOCOL §3.10 for active members: the author retracts within 5 minutes.
 * Unsending an already deleted message answers 200 again and notifies nobody.
 */
export const unsend: UserOp<UnsendBody> = {
  name: 'unsend',
  auth: 'user',
  cost: 1,
  failure: 'unsendFailed',
  schema: UnsendSchema,
  async handle(ctx, body) {
    const { deps, userId } = ctx;
    const { conv, seq, msg } = await ownMessage(ctx, body, 'missingUnsendData');
    const now = new Date();
    if (now.getTime() - msg.createdAt.getTime() > UNSEND_WINDOW_MS) fail('unsendWindowExpired');
    const changed = await deps.stores.edits.markDeleted(msg.id, now, true);
    const ts = formatTs(now);
    if (!changed) return ok({ conv, seq: seq, ts });
    const cursor = await logOpEvent(ctx, 'unsendFailed', { conversationId: conv, userId: null, kind: 'unsend', from: userId, seq, at: now });
    const frame = infoFrame({ conv, from: userId, what: 'unsend', seq: seq, ts, cursor });
    return ok({ conv, seq: seq, ts }, () => broadcast(deps, conv, userId, frame, { exceptSession: ctx.session.id }));
  },
};
