import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SendRefused } from '../../src/store/message-send-store.js';
import { sendRefusal } from '../../src/store/member-snapshot.js';
import { insertRoom as fixture, newMessage as message, storeSuite } from '../helpers/store.js';

storeSuite('message send store', (get) => {
  test('a sender removed after the check and before the commit is refused, nothing stored', async () => {
    const {
      stores: { sends: store, membership: members },
      db,
    } = get();
    const { conv, ids } = await fixture(db, 2);
    const [a, b] = ids as [string, string];
    const checked = await members.senderSnapshot(conv, a);
    assert.equal(sendRefusal(checked!, a), null);
    const first = await store.insert(message(conv, a, { memberVersion: checked!.version }), () => {});
    assert.equal(first.memberVersion, checked!.version, 'nothing changed: the checked version is the committed one');
    await db.kysely.updateTable('members').set({ deleted_at: new Date() }).where('conversation_id', '=', conv).where('user_id', '=', a).execute();
    await assert.rejects(
      store.insert(message(conv, a, { memberVersion: checked!.version }), () => {}),
      (e: unknown) => e instanceof SendRefused && e.reason === 'notMember',
    );
    const after = await store.insert(message(conv, b, { memberVersion: checked!.version }), () => {});
    assert.equal(after.seq, first.seq + 1, 'the refused send used no seq');
    assert.ok(after.memberVersion > checked!.version);
    const stored = await db.kysely.selectFrom('messages').select('from_user_id').where('conversation_id', '=', conv).execute();
    assert.deepEqual(
      stored.map((r) => r.from_user_id),
      [a, b],
    );
    // Sent together (one group commit): the refused send fails alone, the others are stored in order.
    const together = await Promise.allSettled([b, a, b].map((from) => store.insert(message(conv, from, { memberVersion: checked!.version }), () => {})));
    assert.deepEqual(
      together.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    const seqs = together.flatMap((r) => (r.status === 'fulfilled' ? [r.value.seq] : []));
    assert.deepEqual(seqs, [after.seq + 1, after.seq + 2]);
  });

  test('concurrent inserts get gap-free seqs, reported in allocation order', async () => {
    const {
      stores: { sends: store },
      db,
    } = get();
    const { conv, ids } = await fixture(db, 2);
    const reported: number[] = [];
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => store.insert(message(conv, ids[i % 2]!), (seq) => reported.push(seq))));
    const seqs = results.map((r) => r.seq).sort((a, b) => a - b);
    assert.deepEqual(
      seqs,
      Array.from({ length: 60 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      reported,
      [...reported].sort((a, b) => a - b),
    );
    const conversation = await db.kysely.selectFrom('conversations').select(['last_seq', 'last_msg_at']).where('id', '=', conv).executeTakeFirstOrThrow();
    assert.equal(conversation.last_seq, 60);
    assert.ok(conversation.last_msg_at);
  });

  test('sends stored together keep their own content, time, mentions and file references', async () => {
    const {
      stores: { sends: store, history },
      db,
    } = get();
    const one = await fixture(db, 2);
    const two = await fixture(db, 2);
    const file = randomUUID();
    const t0 = Date.now() - 60_000;
    const sends = Array.from({ length: 12 }, (_, i) => {
      const f = i % 2 === 0 ? one : two;
      return message(f.conv, f.ids[0]!, {
        content: Buffer.from(`sealed ${i}`),
        at: new Date(t0 + i * 1000),
        viewOnce: i === 3,
        viewOnceTtl: i === 3 ? 10 : null,
        mentions: i === 4 ? [f.ids[1]!] : [],
        fileRefs: i === 6 ? [file] : [],
        head: i === 4 ? ({ mentions: [{ userId: f.ids[1]!, offset: 0, length: 1 }] } as never) : {},
      });
    });
    const stored = await Promise.all(sends.map((m) => store.insert(m, () => {})));
    for (const f of [one, two]) {
      const seqs = stored
        .filter((_, i) => sends[i]!.conversationId === f.conv)
        .map((r) => r.seq)
        .sort((a, b) => a - b);
      assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6]);
    }
    for (const [i, r] of stored.entries()) {
      const m = sends[i]!;
      const row = await history.find(m.conversationId, r.seq);
      assert.equal(row?.content?.toString(), `sealed ${i}`);
      assert.equal(row?.createdAt.getTime(), m.at.getTime());
      assert.equal(row?.viewOnce, i === 3);
    }
    const mentions = await db.kysely.selectFrom('message_mentions').select(['user_id', 'conversation_id']).execute();
    assert.deepEqual(mentions, [{ user_id: one.ids[1], conversation_id: one.conv }]);
    const files = await db.kysely.selectFrom('message_files').select(['file_id', 'conversation_id']).execute();
    assert.deepEqual(files, [{ file_id: file, conversation_id: one.conv }]);
  });

  test('a nonce is used once per sender and conversation, also when racing', async () => {
    const {
      stores: { sends: store },
      db,
    } = get();
    const { conv, ids } = await fixture(db, 2);
    const [a, b] = await Promise.all([
      store.insert(message(conv, ids[0]!, { nonce: 'k' }), () => {}),
      store.insert(message(conv, ids[0]!, { nonce: 'k' }), () => {}),
    ]);
    assert.equal(a.seq, b.seq);
    assert.deepEqual([a.duplicate, b.duplicate].sort(), [false, true]);
    const other = await store.insert(message(conv, ids[1]!, { nonce: 'k' }), () => {});
    assert.equal(other.duplicate, false);
    const count = await db.kysely
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 2);
  });

  test('a retry with a used nonce writes nothing and answers with the original seq and time; onSeq is not called', async () => {
    const {
      stores: { sends: store },
      db,
    } = get();
    const { conv, ids } = await fixture(db, 2);
    const at = new Date('2030-05-05T05:05:05.005Z');
    const first = await store.insert(message(conv, ids[0]!, { nonce: 'n1', at, mentions: [ids[1]!] }), () => {});
    const seen: number[] = [];
    const retry = await store.insert(message(conv, ids[0]!, { nonce: 'n1', at: new Date(), mentions: [ids[1]!] }), (s) => seen.push(s));
    assert.deepEqual(seen, []);
    assert.equal(retry.duplicate, true);
    assert.equal(retry.seq, first.seq);
    assert.equal(retry.createdAt.toISOString(), at.toISOString());
    const mentions = await db.kysely.selectFrom('message_mentions').select('user_id').execute();
    assert.equal(mentions.length, 1, 'the retry wrote no index rows');
    const conversation = await db.kysely.selectFrom('conversations').select('last_seq').where('id', '=', conv).executeTakeFirstOrThrow();
    assert.equal(conversation.last_seq, 1);
  });

  test('a send to a conversation that does not exist fails and stores nothing', async () => {
    const {
      stores: { sends: store },
      db,
    } = get();
    const { ids } = await fixture(db, 1);
    await assert.rejects(store.insert(message(randomUUID(), ids[0]!), () => {}));
    const count = await db.kysely
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 0);
  });
});
