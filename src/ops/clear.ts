import { fail } from '../protocol/errors.js';
import { nowTs } from '../protocol/time.js';
import { activeMembershipOrFail, convIdOrFail } from './shared/guards.js';
import { step } from './shared/step.js';
import { logOpEvent } from './shared/log-event.js';
import { tellOwnSessions } from '../domain/sync/sync-log.js';
import { infoFrame } from '../protocol/frames.js';
import { ok, type UserOp } from './op.js';
import { ClearSchema, type ClearBody } from '../protocol/schemas/clear.js';

/** PROTOCOL §3.16: the requester's own `clear_seq`; it may move backwards, which un-hides. No notification. */
export const clear: UserOp<ClearBody> = {
  name: 'clear',
  auth: 'user',
  cost: 1,
  failure: 'databaseError',
  schema: ClearSchema,
  async handle(ctx, body) {
    if (!body.conv || body.seq === undefined || body.seq <= 0) fail('missingClearData');
    const convId = convIdOrFail(body.conv);
    await activeMembershipOrFail(ctx, convId, ctx.userId);
    const seq = body.seq;
    await step(ctx, 'updateFailed', () => ctx.deps.stores.membership.setClearSeq(convId, ctx.userId, seq));
    const ts = nowTs();
    // Her other devices clear too (mvchat addition): only she gets this.
    const cursor = await logOpEvent(ctx, 'updateFailed', { conversationId: convId, userId: ctx.userId, kind: 'clear', from: ctx.userId, seq });
    const frame = infoFrame({ conv: convId, from: ctx.userId, what: 'clear', seq, ts, cursor });
    return ok({ conv: convId, seq, ts }, async () => tellOwnSessions(ctx.deps, ctx.userId, frame, ctx.session.id));
  },
};
