import { broadcast } from '../domain/fanout.js';
import { activeMember, convId } from './shared/access.js';
import { fail } from '../protocol/errors.js';
import { infoFrame } from '../protocol/frames.js';
import { formatTs } from '../protocol/time.js';
import { ok, type UserOp } from './op.js';
import { bool, object, seq, uuidish } from './schema-parts.js';

interface DeleteBody {
  conv?: string;
  seq?: number;
  forEveryone?: boolean;
}

/**
 * PROTOCOL §3.11 for active members: for everyone (author, no time limit;
 * repeating it answers 200 and notifies nobody) or for me (anyone, silent).
 */
export const deleteOp: UserOp<DeleteBody> = {
  name: 'delete',
  auth: 'user',
  cost: 1,
  failure: 'deleteFailed',
  schema: object({ conv: uuidish, seq, forEveryone: bool }),
  async handle(ctx, body) {
    const { services, userId } = ctx;
    if (!body.conv || body.seq === undefined || body.seq <= 0) fail('missingDeleteData');
    const conv = convId(body.conv);
    await activeMember(services, conv, userId);
    const msg = await services.stores.messages.find(conv, body.seq);
    if (!msg) fail('messageNotFound');
    const now = new Date();
    const ts = formatTs(now);
    if (!body.forEveryone) {
      await services.stores.messages.hideFor(msg.id, userId, now);
      return ok({ conv, seq: body.seq, ts });
    }
    if (msg.from !== userId) fail('notYourMessage');
    const changed = await services.stores.messages.markDeleted(msg.id, now, false);
    if (!changed) return ok({ conv, seq: body.seq, ts });
    const frame = infoFrame({ conv, from: userId, what: 'delete', seq: body.seq, ts });
    return ok({ conv, seq: body.seq, ts }, () => broadcast(services, conv, userId, frame, { exceptSession: ctx.session.id }));
  },
};
