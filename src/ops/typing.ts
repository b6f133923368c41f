import { parseUuid } from '../content/uuid.js';
import { broadcastActivity } from '../domain/fanout.js';
import { fail } from '../protocol/errors.js';
import { infoFrame } from '../protocol/frames.js';
import { nowTs } from '../protocol/time.js';
import type { UserOp } from './op.js';
import { TypingSchema, type TypingBody } from '../protocol/schemas/typing.js';

/**
 * PROTOCOL §3.13: never a success reply. Bad ids, non-members and repeats
 * within a second of the last one from this session are ignored silently;
 * delivery is droppable for slow readers.
 */
export const typing: UserOp<TypingBody> = {
  name: 'typing',
  auth: 'user',
  cost: 1,
  failure: 'internalError',
  schema: TypingSchema,
  async handle(ctx, body) {
    const { deps, userId } = ctx;
    if (!body.conv) fail('missingTypingData');
    const conv = parseUuid(body.conv);
    if (conv === null) return null;
    if (!ctx.session.allowTyping(conv)) return null;
    if (!(await deps.stores.membership.getActiveMembership(conv, userId))) return null;
    const frame = infoFrame({ conv, from: userId, what: 'typing', ts: nowTs() });
    await broadcastActivity(deps, conv, userId, 'typing', frame, { exceptSession: ctx.session.id, droppable: true });
    return null;
  },
};
