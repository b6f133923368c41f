import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Stores } from '../../src/store/stores.js';
import { insertRoom as fixture, insertUsers, newMessage as message, storeSuite } from '../helpers/store.js';

const history = (stores: Stores, conv: string, reader: string, now = new Date()) =>
  stores.history.page({ conversationId: conv, reader, clearSeq: 0, before: 0, after: 0, limit: 100, now });

storeSuite('receipt store', (get) => {
  test('reads stamp view-once and conversation TTLs, first read wins, expireDue hands each row out once', async () => {
    const { stores, db } = get();
    const store = stores.receipts;
    const { conv, ids } = await fixture(db, 2);
    const [sender, reader] = ids as [string, string];
    await stores.sends.insert(message(conv, sender, { viewOnce: true, viewOnceTtl: 60 }), () => {});
    await stores.sends.insert(message(conv, sender, { viewOnce: true }), () => {});
    await stores.sends.insert(message(conv, sender), () => {});
    await stores.sends.insert(message(conv, reader), () => {});
    const readAt = new Date('2030-01-01T00:00:00.000Z');
    assert.deepEqual(await store.markRead(conv, reader, 4, { readAt, conversationTtl: 3600 }), { readSeq: 4, recvSeq: 4 });
    await store.markRead(conv, reader, 4, { readAt: new Date('2031-01-01T00:00:00.000Z'), conversationTtl: 10 });
    const rows = await db.kysely
      .selectFrom('message_reads')
      .innerJoin('messages', 'messages.id', 'message_reads.message_id')
      .select(['messages.seq', 'message_reads.expires_at'])
      .where('message_reads.user_id', '=', reader)
      .orderBy('messages.seq')
      .execute();
    const offsets = rows.map((r) => [r.seq, (new Date(r.expires_at!).getTime() - readAt.getTime()) / 1000]);
    assert.deepEqual(offsets, [
      [1, 60],
      [2, 10],
      [3, 3600],
    ]);
    // Never backwards.
    assert.deepEqual(await store.markRead(conv, reader, 2, { readAt, conversationTtl: null }), { readSeq: 4, recvSeq: 4 });
    assert.equal(await store.markRead(conv, randomUUID(), 2, { readAt, conversationTtl: null }), null);

    const at = new Date('2030-01-01T00:00:30.000Z');
    assert.deepEqual(
      (await history(stores, conv, reader, at)).map((m) => m.seq),
      [1, 3, 4],
    );
    assert.deepEqual(
      (await history(stores, conv, sender, at)).map((m) => m.seq),
      [1, 2, 3, 4],
    );
    const [x, y] = await Promise.all([store.expireDue(at, 10), store.expireDue(at, 10)]);
    assert.deepEqual([...x, ...y], [{ reader, conversationId: conv, seq: 2, from: sender }]);
    assert.deepEqual(await store.expireDue(at, 10), []);
    const later = new Date('2030-01-01T02:00:00.000Z');
    assert.deepEqual((await store.expireDue(later, 10)).map((d) => d.seq).sort(), [1, 3]);
    assert.deepEqual(
      (await history(stores, conv, reader, new Date(0))).map((m) => m.seq),
      [4],
    );
  });

  test('recv raises delivery only, never lowers it; removed members and strangers get null', async () => {
    const {
      stores: { receipts, membership },
      db,
    } = get();
    const { conv, ids } = await fixture(db, 3);
    const [a, b, c] = ids as [string, string, string];
    const at = new Date();
    assert.deepEqual(await receipts.markReceived(conv, a, 5, at), { readSeq: 0, recvSeq: 5 });
    assert.deepEqual(await receipts.markReceived(conv, a, 3, at), { readSeq: 0, recvSeq: 5 });
    assert.deepEqual(await receipts.markRead(conv, a, 2, { readAt: at, conversationTtl: null }), { readSeq: 2, recvSeq: 5 });
    assert.deepEqual(await receipts.markRead(conv, b, 4, { readAt: at, conversationTtl: null }), { readSeq: 4, recvSeq: 4 });
    await membership.removeMember(conv, c, ['member']);
    assert.equal(await receipts.markReceived(conv, c, 1, at), null);
    assert.equal(await receipts.markReceived(conv, randomUUID(), 1, at), null);
    const stored = await membership.getMembership(conv, c);
    assert.equal(stored?.recvSeq, 0, "a removed member's position is left alone");
  });

  test("ofConversation lists the active members' positions in joining order", async () => {
    const {
      stores: { receipts, membership },
      db,
    } = get();
    const users = await insertUsers(db, 3);
    const conv = randomUUID();
    await db.kysely.insertInto('conversations').values({ id: conv, type: 'room' }).execute();
    for (const [i, u] of users.entries()) {
      await db.kysely
        .insertInto('members')
        .values({ conversation_id: conv, user_id: u, created_at: new Date(Date.UTC(2030, 0, 1, 0, 0, 3 - i)) })
        .execute();
    }
    await receipts.markRead(conv, users[0]!, 3, { readAt: new Date(), conversationTtl: null });
    await receipts.markReceived(conv, users[1]!, 2, new Date());
    await membership.removeMember(conv, users[2]!, ['member']);
    assert.deepEqual(await receipts.ofConversation(conv), [
      { userId: users[1], readSeq: 0, recvSeq: 2 },
      { userId: users[0], readSeq: 3, recvSeq: 3 },
    ]);
    assert.deepEqual(await receipts.ofConversation(randomUUID()), []);
  });

  test("a read skips the reader's own messages and those they deleted for themselves", async () => {
    const { stores, db } = get();
    const { conv, ids } = await fixture(db, 2);
    const [sender, reader] = ids as [string, string];
    await stores.sends.insert(message(conv, sender), () => {});
    await stores.sends.insert(message(conv, reader), () => {});
    await stores.sends.insert(message(conv, sender), () => {});
    const hidden = await stores.history.find(conv, 3);
    await stores.edits.hideFor(hidden!.id, reader, new Date());
    await stores.receipts.markRead(conv, reader, 3, { readAt: new Date(), conversationTtl: 60 });
    const rows = await db.kysely
      .selectFrom('message_reads')
      .innerJoin('messages', 'messages.id', 'message_reads.message_id')
      .select('messages.seq')
      .where('message_reads.user_id', '=', reader)
      .execute();
    assert.deepEqual(
      rows.map((r) => r.seq),
      [1],
    );
  });
});
