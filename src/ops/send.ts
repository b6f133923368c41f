import { checkContent } from '../content/irido.js';
import { broadcast } from '../domain/fanout.js';
import { convIdOrFail } from './shared/guards.js';
import { requireReadableFiles } from './shared/file-refs.js';
import { ALLOWED_TTLS, sendHead } from '../protocol/message-head.js';
import { fail } from '../protocol/errors.js';
import { dataFrame } from '../protocol/frames.js';
import { formatTs } from '../protocol/time.js';
import { formatCursor } from '../protocol/cursor.js';
import { SendRefused, type Stored } from '../store/message-send-store.js';
import { sendRefusal } from '../store/member-snapshot.js';
import type { UserOp } from './op.js';
import { SendSchema, type SendBody } from '../protocol/schemas/send.js';
import { sealContent } from '../domain/messages/seal.js';

/** PROTOCOL §3.7, for active members only, with Irido validation and idempotent retries. */
export const send: UserOp<SendBody> = {
  name: 'send',
  auth: 'user',
  cost: 1,
  failure: 'sendFailed',
  schema: SendSchema,
  async handle(ctx, body) {
    const { deps, userId } = ctx;
    if (!body.conv || body.content === undefined) fail('missingSendData');
    const conv = convIdOrFail(body.conv);
    // Membership and block state from this node's member cache; the store checks again if they changed before the commit.
    const members = await deps.stores.membership.senderSnapshot(conv, userId);
    const refusal = members ? sendRefusal(members, userId) : 'notMember';
    if (refusal) fail(refusal);

    const checked = checkContent(body.content);
    if (!checked.ok) fail('invalidContent', checked.error);
    const viewOnce = body.viewOnce === true;
    const ttl = viewOnce && body.viewOnceTTL !== undefined && body.viewOnceTTL !== 0 ? body.viewOnceTTL : undefined;
    if (ttl !== undefined && !ALLOWED_TTLS.includes(ttl)) fail('invalidViewOnceTtl');
    const nonce = body.nonce ? body.nonce : null;
    // Before the insert, like the member check: a send racing the end of the sender's access cites only what she could read an instant earlier.
    await requireReadableFiles(ctx, checked.fileRefs);
    const head = sendHead({ replyTo: body.replyTo, viewOnce, viewOnceTtl: ttl, mentions: checked.mentions });
    const sealed = sealContent(deps, ctx.log, body.content);

    const { publisher } = deps;
    let reserved: number | null = null;
    let stored: Stored;
    try {
      stored = await deps.stores.sends.insert(
        {
          conversationId: conv,
          from: userId,
          content: sealed.blob,
          keyId: sealed.keyId,
          head,
          viewOnce,
          viewOnceTtl: ttl ?? null,
          nonce,
          mentions: [...new Set(checked.mentions.map((m) => m.userId))],
          fileRefs: checked.fileRefs,
          at: new Date(),
          memberVersion: members!.version,
        },
        (seq) => {
          reserved = seq;
          publisher.reserve(conv, seq);
        },
      );
    } catch (err) {
      if (reserved !== null) publisher.cancel(conv, reserved);
      if (err instanceof SendRefused) fail(err.reason);
      throw err;
    }
    if (stored.duplicate && reserved !== null) publisher.cancel(conv, reserved);

    const ts = formatTs(stored.createdAt);
    const params = { conv, seq: stored.seq, ts, ...(viewOnce ? { viewOnce: true } : {}) };
    if (stored.duplicate) return { code: 202, params };
    const frame = dataFrame({ conv, seq: stored.seq, from: userId, content: body.content, head, ts, cursor: formatCursor(stored.pos) });
    const seq = stored.seq;
    return {
      code: 202,
      params,
      after: () =>
        publisher.ready(conv, seq, () => broadcast(deps, conv, userId, frame, { exceptSession: ctx.session.id, order: { conv, seq } }, stored.memberVersion)),
    };
  },
};
