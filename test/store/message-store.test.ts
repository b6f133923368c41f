import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { migrate, type Db } from '../../src/store/database.js';
import { openDb } from '../../src/wiring/database.js';
import { MessageStore, SendRefused, type NewMessage } from '../../src/store/message-store.js';
import { MembershipStore } from '../../src/store/membership-store.js';
import { recipientsOf, sendRefusal } from '../../src/store/member-snapshot.js';
import { backends, freshPgDatabase, type Backend } from '../helpers/server.js';

async function withStore(backend: Backend, fn: (store: MessageStore, db: Db) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mvchat-store-'));
  const pg = backend === 'postgres' ? await freshPgDatabase() : null;
  const db = openDb({ databaseUrl: pg?.url ?? null, dataDir: dir });
  try {
    await migrate(db);
    await fn(new MessageStore(db, new MembershipStore(db)), db);
  } finally {
    await db.close();
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function fixture(db: Db, users = 2): Promise<{ conv: string; ids: string[] }> {
  const ids = Array.from({ length: users }, () => randomUUID());
  const conv = randomUUID();
  await db.kysely.insertInto('users').values(ids.map((id) => ({ id }))).execute();
  await db.kysely.insertInto('conversations').values({ id: conv, type: 'room' }).execute();
  await db.kysely.insertInto('members').values(ids.map((user_id) => ({ conversation_id: conv, user_id }))).execute();
  return { conv, ids };
}

function message(conv: string, from: string, extra: Partial<NewMessage> = {}): NewMessage {
  return {
    conversationId: conv, from, content: Buffer.from('sealed'), keyId: 1, head: {}, viewOnce: false, viewOnceTtl: null,
    nonce: null, mentions: [], fileRefs: [], at: new Date(), memberVersion: 0, ...extra,
  };
}

const history = (store: MessageStore, conv: string, reader: string, now = new Date()) =>
  store.history({ conversationId: conv, reader, clearSeq: 0, before: 0, after: 0, limit: 100, now });

for (const backend of backends()) {
  test(`[${backend}] member version: rises when members join, leave or block, not on receipts; snapshots follow it`, () =>
    withStore(backend, async (_store, db) => {
      const members = new MembershipStore(db);
      const { conv, ids } = await fixture(db, 3);
      const [a, b, c] = ids as [string, string, string];
      const version = async () => (await db.kysely.selectFrom('conversations').select('member_version').where('id', '=', conv).executeTakeFirstOrThrow()).member_version;
      const v0 = await version();
      const s0 = await members.snapshot(conv);
      assert.equal(s0?.version, v0);
      assert.deepEqual([...recipientsOf(s0!, a)].sort(), [a, b, c].sort());
      await db.kysely.updateTable('members').set({ read_seq: 5, recv_seq: 5 }).where('conversation_id', '=', conv).execute();
      assert.equal(await version(), v0, 'receipts leave the version alone');
      assert.equal(await members.snapshot(conv), s0, 'an unchanged version is served from the cache');
      await db.kysely.updateTable('members').set({ deleted_at: new Date() }).where('conversation_id', '=', conv).where('user_id', '=', c).execute();
      const v1 = await version();
      assert.ok(v1 > v0);
      const s1 = await members.snapshot(conv);
      assert.equal(s1?.version, v1);
      assert.equal(sendRefusal(s1!, c), 'notMember');
      assert.deepEqual([...recipientsOf(s1!, a)].sort(), [a, b].sort());
      await db.kysely.deleteFrom('members').where('conversation_id', '=', conv).where('user_id', '=', c).execute();
      assert.ok((await version()) > v1);
      assert.equal(await members.snapshot(randomUUID()), null);
    }));

  test(`[${backend}] message store: a sender removed after the check and before the commit is refused, nothing stored`, () =>
    withStore(backend, async (store, db) => {
      const members = new MembershipStore(db);
      const { conv, ids } = await fixture(db, 2);
      const [a, b] = ids as [string, string];
      const checked = await members.senderSnapshot(conv, a);
      assert.equal(sendRefusal(checked!, a), null);
      const first = await store.insert(message(conv, a, { memberVersion: checked!.version }), () => {});
      assert.equal(first.memberVersion, checked!.version, 'nothing changed: the checked version is the committed one');
      await db.kysely.updateTable('members').set({ deleted_at: new Date() }).where('conversation_id', '=', conv).where('user_id', '=', a).execute();
      await assert.rejects(store.insert(message(conv, a, { memberVersion: checked!.version }), () => {}), (e: unknown) => e instanceof SendRefused && e.reason === 'notMember');
      const after = await store.insert(message(conv, b, { memberVersion: checked!.version }), () => {});
      assert.equal(after.seq, first.seq + 1, 'the refused send used no seq');
      assert.ok(after.memberVersion > checked!.version);
      const stored = await db.kysely.selectFrom('messages').select('from_user_id').where('conversation_id', '=', conv).execute();
      assert.deepEqual(stored.map((r) => r.from_user_id), [a, b]);
      // Sent together (one group commit): the refused send fails alone, the others are stored in order.
      const together = await Promise.allSettled([b, a, b].map((from) => store.insert(message(conv, from, { memberVersion: checked!.version }), () => {})));
      assert.deepEqual(together.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
      const seqs = together.flatMap((r) => (r.status === 'fulfilled' ? [r.value.seq] : []));
      assert.deepEqual(seqs, [after.seq + 1, after.seq + 2]);
    }));

  test(`[${backend}] message store: concurrent inserts get gap-free seqs, reported in allocation order`, () =>
    withStore(backend, async (store, db) => {
      const { conv, ids } = await fixture(db, 2);
      const reported: number[] = [];
      const results = await Promise.all(Array.from({ length: 60 }, (_, i) => store.insert(message(conv, ids[i % 2]!), (seq) => reported.push(seq))));
      const seqs = results.map((r) => r.seq).sort((a, b) => a - b);
      assert.deepEqual(seqs, Array.from({ length: 60 }, (_, i) => i + 1));
      assert.deepEqual(reported, [...reported].sort((a, b) => a - b));
      const conversation = await db.kysely.selectFrom('conversations').select(['last_seq', 'last_msg_at']).where('id', '=', conv).executeTakeFirstOrThrow();
      assert.equal(conversation.last_seq, 60);
      assert.ok(conversation.last_msg_at);
    }));

  test(`[${backend}] message store: sends stored together keep their own content, time, mentions and file references`, () =>
    withStore(backend, async (store, db) => {
      const one = await fixture(db, 2);
      const two = await fixture(db, 2);
      const file = randomUUID();
      const t0 = Date.now() - 60_000;
      const sends = Array.from({ length: 12 }, (_, i) => {
        const f = i % 2 === 0 ? one : two;
        return message(f.conv, f.ids[0]!, {
          content: Buffer.from(`sealed ${i}`), at: new Date(t0 + i * 1000), viewOnce: i === 3, viewOnceTtl: i === 3 ? 10 : null,
          mentions: i === 4 ? [f.ids[1]!] : [], fileRefs: i === 6 ? [file] : [], head: i === 4 ? { mentions: [{ userId: f.ids[1]!, offset: 0, length: 1 }] } as never : {},
        });
      });
      const stored = await Promise.all(sends.map((m) => store.insert(m, () => {})));
      for (const f of [one, two]) {
        const seqs = stored.filter((_, i) => sends[i]!.conversationId === f.conv).map((r) => r.seq).sort((a, b) => a - b);
        assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6]);
      }
      for (const [i, r] of stored.entries()) {
        const m = sends[i]!;
        const row = await store.find(m.conversationId, r.seq);
        assert.equal(row?.content?.toString(), `sealed ${i}`);
        assert.equal(row?.createdAt.getTime(), m.at.getTime());
        assert.equal(row?.viewOnce, i === 3);
      }
      const mentions = await db.kysely.selectFrom('message_mentions').select(['user_id', 'conversation_id']).execute();
      assert.deepEqual(mentions, [{ user_id: one.ids[1], conversation_id: one.conv }]);
      const files = await db.kysely.selectFrom('message_files').select(['file_id', 'conversation_id']).execute();
      assert.deepEqual(files, [{ file_id: file, conversation_id: one.conv }]);
    }));

  test(`[${backend}] message store: a nonce is used once per sender and conversation, also when racing`, () =>
    withStore(backend, async (store, db) => {
      const { conv, ids } = await fixture(db, 2);
      const [a, b] = await Promise.all([
        store.insert(message(conv, ids[0]!, { nonce: 'k' }), () => {}),
        store.insert(message(conv, ids[0]!, { nonce: 'k' }), () => {}),
      ]);
      assert.equal(a.seq, b.seq);
      assert.deepEqual([a.duplicate, b.duplicate].sort(), [false, true]);
      const other = await store.insert(message(conv, ids[1]!, { nonce: 'k' }), () => {});
      assert.equal(other.duplicate, false);
      const count = await db.kysely.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 2);
    }));

  test(`[${backend}] message store: reads stamp view-once and conversation TTLs, first read wins, expireDue hands each row out once`, () =>
    withStore(backend, async (store, db) => {
      const { conv, ids } = await fixture(db, 2);
      const [sender, reader] = ids as [string, string];
      await store.insert(message(conv, sender, { viewOnce: true, viewOnceTtl: 60 }), () => {});
      await store.insert(message(conv, sender, { viewOnce: true }), () => {});
      await store.insert(message(conv, sender), () => {});
      await store.insert(message(conv, reader), () => {});
      const readAt = new Date('2030-01-01T00:00:00.000Z');
      assert.deepEqual(await store.markRead(conv, reader, 4, { readAt, conversationTtl: 3600 }), { readSeq: 4, recvSeq: 4 });
      await store.markRead(conv, reader, 4, { readAt: new Date('2031-01-01T00:00:00.000Z'), conversationTtl: 10 });
      const rows = await db.kysely.selectFrom('message_reads').innerJoin('messages', 'messages.id', 'message_reads.message_id')
        .select(['messages.seq', 'message_reads.expires_at']).where('message_reads.user_id', '=', reader).orderBy('messages.seq').execute();
      const offsets = rows.map((r) => [r.seq, (new Date(r.expires_at!).getTime() - readAt.getTime()) / 1000]);
      assert.deepEqual(offsets, [[1, 60], [2, 10], [3, 3600]]);
      // Never backwards.
      assert.deepEqual(await store.markRead(conv, reader, 2, { readAt, conversationTtl: null }), { readSeq: 4, recvSeq: 4 });
      assert.equal(await store.markRead(conv, randomUUID(), 2, { readAt, conversationTtl: null }), null);

      const at = new Date('2030-01-01T00:00:30.000Z');
      assert.deepEqual((await history(store, conv, reader, at)).map((m) => m.seq), [1, 3, 4]);
      assert.deepEqual((await history(store, conv, sender, at)).map((m) => m.seq), [1, 2, 3, 4]);
      const [x, y] = await Promise.all([store.expireDue(at, 10), store.expireDue(at, 10)]);
      assert.deepEqual([...x, ...y], [{ reader, conversationId: conv, seq: 2, from: sender }]);
      assert.deepEqual(await store.expireDue(at, 10), []);
      const later = new Date('2030-01-01T02:00:00.000Z');
      assert.deepEqual((await store.expireDue(later, 10)).map((d) => d.seq).sort(), [1, 3]);
      assert.deepEqual((await history(store, conv, reader, new Date(0))).map((m) => m.seq), [4]);
    }));

  test(`[${backend}] message store: concurrent edits never pass the limit; reactions toggled concurrently all land`, () =>
    withStore(backend, async (store, db) => {
      const { conv, ids } = await fixture(db, 8);
      await store.insert(message(conv, ids[0]!, { head: { mentions: [{ userId: ids[1]! }] }, mentions: [ids[1]!] }), () => {});
      const outcomes = await Promise.all(Array.from({ length: 15 }, (_, i) => store.edit(conv, 1, {
        content: Buffer.from(`v${i}`), keyId: 1, maxEdits: 10, mentions: [], fileRefs: [], at: new Date(),
        head: (old) => ({ ...old, edit_count: (old.edit_count ?? 0) + 1 }),
      })));
      assert.equal(outcomes.filter((o) => o === 'ok').length, 10);
      assert.equal(outcomes.filter((o) => o === 'max-edits').length, 5);
      const [msg] = await history(store, conv, ids[0]!);
      assert.equal(msg?.head.edit_count, 10);
      const mentions = await db.kysely.selectFrom('message_mentions').selectAll().execute();
      assert.equal(mentions.length, 0);

      await Promise.all(ids.map((u) => store.updateHead(conv, 1, (h) => ({ ...h, reactions: { ...(h.reactions ?? {}), x: [...(h.reactions?.x ?? []), u] } }), new Date())));
      const [after] = await history(store, conv, ids[0]!);
      assert.deepEqual([...(after?.head.reactions?.x ?? [])].sort(), [...ids].sort());
      assert.equal(await store.updateHead(conv, 2, (h) => h, new Date()), false);
    }));
}
