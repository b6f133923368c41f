import { broadcast } from '../domain/fanout.js';
import { activeMembershipOrFail, convIdOrFail } from './shared/guards.js';
import { refuseIfBlocked } from './shared/message-lookup.js';
import { hasReaction, toggleReaction } from '../protocol/message-head.js';
import { fail } from '../protocol/errors.js';
import { infoFrame } from '../protocol/frames.js';
import { formatTs } from '../protocol/time.js';
import { logOpEvent } from './shared/log-event.js';
import { ok, type UserOp } from './op.js';
import { ReactSchema, type ReactBody } from '../protocol/schemas/react.js';

/** PROTOCOL §3.12: toggles the requester under `emoji`, atomically per message; deleted messages allowed. */
export const react: UserOp<ReactBody> = {
  name: 'react',
  auth: 'user',
  cost: 1,
  failure: 'reactFailed',
  schema: ReactSchema,
  async handle(ctx, body) {
    const { deps, userId } = ctx;
    if (!body.conv || body.seq === undefined || body.seq <= 0 || !body.emoji) fail('missingReactData');
    const conv = convIdOrFail(body.conv);
    const emoji = body.emoji;
    await activeMembershipOrFail(ctx, conv, userId);
    await refuseIfBlocked(ctx, conv);
    const now = new Date();
    let added = false;
    const found = await deps.stores.edits.updateHead(
      conv,
      body.seq,
      (head) => {
        const next = toggleReaction(head, emoji, userId);
        added = hasReaction(next, emoji, userId);
        return next;
      },
      now,
    );
    if (!found) fail('messageNotFound');
    const ts = formatTs(now);
    const cursor = await logOpEvent(ctx, 'reactFailed', {
      conversationId: conv,
      userId: null,
      kind: 'react',
      from: userId,
      seq: body.seq,
      extra: emoji,
      at: now,
    });
    // `added` (mvchat addition) carries the resulting state, so a replayed toggle cannot flip anything.
    const frame = infoFrame({ conv, from: userId, what: 'react', seq: body.seq, emoji, added, ts, cursor });
    return ok({ conv, seq: body.seq, emoji, ts }, () => broadcast(deps, conv, userId, frame, { exceptSession: ctx.session.id }));
  },
};
