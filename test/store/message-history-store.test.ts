import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { HistoryQuery } from '../../src/store/message-history-store.js';
import { insertRoom as fixture, newMessage as message, storeSuite } from '../helpers/store.js';

storeSuite('message history store', (get) => {
  test('pages: newest first before a seq, oldest first after one, from past the clear position, up to the limit', async () => {
    const { stores, db } = get();
    const { conv, ids } = await fixture(db, 2);
    for (let i = 0; i < 10; i++) await stores.sends.insert(message(conv, ids[i % 2]!), () => {});
    const q = (p: Partial<HistoryQuery>) =>
      stores.history.page({ conversationId: conv, reader: ids[0]!, clearSeq: 0, before: 0, after: null, limit: 100, now: new Date(), ...p });
    const seqs = async (p: Partial<HistoryQuery>) => (await q(p)).map((m) => m.seq);
    assert.deepEqual(await seqs({ limit: 3 }), [10, 9, 8]);
    assert.deepEqual(await seqs({ before: 5, limit: 3 }), [4, 3, 2]);
    assert.deepEqual(await seqs({ after: 7 }), [8, 9, 10]);
    assert.deepEqual(await seqs({ after: 2, limit: 2 }), [3, 4]);
    assert.deepEqual(await seqs({ clearSeq: 6, before: 9 }), [8, 7]);
    assert.deepEqual(await seqs({ clearSeq: 6, after: 2, limit: 2 }), [7, 8]);
    assert.deepEqual(await seqs({ conversationId: randomUUID() }), []);
    const [top] = await q({ limit: 1 });
    assert.equal(top?.conversationId, conv);
    assert.equal(top?.from, ids[1]);
    assert.equal(top?.deletedAt, null);
  });

  test('find and messageIdAt see a message by seq, deleted or not', async () => {
    const { stores, db } = get();
    const { conv, ids } = await fixture(db, 1);
    await stores.sends.insert(message(conv, ids[0]!, { head: { edit_count: 1 } }), () => {});
    const id = await stores.history.messageIdAt(conv, 1);
    assert.ok(id);
    await stores.edits.markDeleted(id, new Date(), false);
    const msg = await stores.history.find(conv, 1);
    assert.equal(msg?.id, id);
    assert.ok(msg?.deletedAt);
    assert.deepEqual(msg?.head, { edit_count: 1 });
    assert.equal(msg?.keyId, 1);
    assert.equal(await stores.history.find(conv, 2), null);
    assert.equal(await stores.history.messageIdAt(conv, 2), null);
    assert.equal(await stores.history.messageIdAt(randomUUID(), 1), null);
  });

  test('mentions: newest first, only where the user is an active member, past their clear position, not deleted, hidden or expired', async () => {
    const { stores, db } = get();
    const room = await fixture(db, 2);
    const [a, me] = room.ids as [string, string];
    const other = await fixture(db, 1);
    await db.kysely.insertInto('members').values({ conversation_id: other.conv, user_id: me }).execute();
    const t = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s));
    const send = (conv: string, from: string, s: number, extra = {}) =>
      stores.sends.insert(message(conv, from, { at: t(s), mentions: [me], ...extra }), () => {});
    await send(room.conv, a, 1); // seq 1: cleared below
    await send(room.conv, a, 2); // seq 2
    await send(room.conv, a, 3, { mentions: [] }); // seq 3: no mention
    await send(room.conv, a, 4); // seq 4: deleted for everyone
    await send(room.conv, a, 5); // seq 5: deleted for me
    await send(room.conv, a, 6, { viewOnce: true }); // seq 6: read, expired
    await send(other.conv, other.ids[0]!, 7); // other room, seq 1
    await stores.membership.setClearSeq(room.conv, me, 1);
    await stores.edits.markDeleted((await stores.history.messageIdAt(room.conv, 4))!, new Date(), false);
    await stores.edits.hideFor((await stores.history.messageIdAt(room.conv, 5))!, me, new Date());
    const readAt = new Date('2029-01-01T00:00:00.000Z');
    await db.kysely
      .insertInto('message_reads')
      .values({ message_id: (await stores.history.messageIdAt(room.conv, 6))!, user_id: me, read_at: readAt, expires_at: readAt })
      .execute();
    const now = new Date('2030-06-01T00:00:00.000Z');
    const found = await stores.history.mentions(me, 10, now);
    assert.deepEqual(
      found.map((m) => [m.conversationId, m.seq]),
      [
        [other.conv, 1],
        [room.conv, 2],
      ],
    );
    assert.deepEqual(
      (await stores.history.mentions(me, 1, now)).map((m) => m.seq),
      [1],
    );
    await stores.membership.removeMember(other.conv, me, ['member']);
    assert.deepEqual(
      (await stores.history.mentions(me, 10, now)).map((m) => [m.conversationId, m.seq]),
      [[room.conv, 2]],
    );
    assert.deepEqual(await stores.history.mentions(a, 10, now), []);
  });
});
