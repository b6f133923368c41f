import { checkContent } from '../content/irido.js';
import { broadcast } from '../domain/fanout.js';
import { ownMessage } from './shared/message-lookup.js';
import { requireReadableFiles } from './shared/file-refs.js';
import { EDIT_WINDOW_MS, MAX_EDITS, editCount, editedHead } from '../protocol/message-head.js';
import { fail } from '../protocol/errors.js';
import { infoFrame } from '../protocol/frames.js';
import { formatTs } from '../protocol/time.js';
import { logOpEvent } from './shared/log-event.js';
import { ok, type UserOp } from './op.js';
import { EditSchema, type EditBody } from '../protocol/schemas/edit.js';
import { sealContent } from '../domain/messages/seal.js';

/**
 * PROTOCOL §3.9 (§5.3) for active members: author only, 15 minutes, at most
 * 10 edits counted atomically, deleted messages refused with 404, mentions
 * and file references refreshed from the new content.
 */
export const edit: UserOp<EditBody> = {
  name: 'edit',
  auth: 'user',
  cost: 1,
  failure: 'editFailed',
  schema: EditSchema,
  async handle(ctx, body) {
    const { deps, userId } = ctx;
    if (body.content === undefined) fail('missingEditData');
    const { conv, seq, msg } = await ownMessage(ctx, body, 'missingEditData');
    if (msg.deletedAt !== null) fail('messageNotFound');
    const now = new Date();
    if (now.getTime() - msg.createdAt.getTime() > EDIT_WINDOW_MS) fail('editWindowExpired');
    if (editCount(msg.head) >= MAX_EDITS) fail('maxEditsReached');
    const checked = checkContent(body.content);
    if (!checked.ok) fail('invalidContent', checked.error);
    await requireReadableFiles(ctx, checked.fileRefs);

    const sealed = sealContent(deps, ctx.log, body.content);
    const editedAt = formatTs(now);
    const outcome = await deps.stores.edits.edit(conv, seq, {
      content: sealed.blob,
      keyId: sealed.keyId,
      head: (old) => editedHead(old, checked.mentions, editedAt),
      maxEdits: MAX_EDITS,
      mentions: [...new Set(checked.mentions.map((m) => m.userId))],
      fileRefs: checked.fileRefs,
      at: now,
    });
    // Re-checked under the row lock: another edit or a delete may have won the race.
    if (outcome === 'not-found' || outcome === 'deleted') fail('messageNotFound');
    if (outcome === 'max-edits') fail('maxEditsReached');

    const cursor = await logOpEvent(ctx, 'editFailed', { conversationId: conv, userId: null, kind: 'edit', from: userId, seq, at: now });
    const frame = infoFrame({ conv, from: userId, what: 'edit', seq: seq, content: body.content, ts: editedAt, cursor });
    return ok({ conv, seq: seq, editedAt }, () => broadcast(deps, conv, userId, frame, { exceptSession: ctx.session.id }));
  },
};
