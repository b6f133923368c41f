import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Stores } from '../../src/store/stores.js';
import { insertRoom as fixture, newMessage as message, storeSuite } from '../helpers/store.js';

const history = (stores: Stores, conv: string, reader: string, now = new Date()) =>
  stores.history.page({ conversationId: conv, reader, clearSeq: 0, before: 0, after: 0, limit: 100, now });

storeSuite('message edit store', (get) => {
  test('concurrent edits never pass the limit; reactions toggled concurrently all land', async () => {
    const { stores, db } = get();
    const store = stores.edits;
    const { conv, ids } = await fixture(db, 8);
    await stores.sends.insert(message(conv, ids[0]!, { head: { mentions: [{ userId: ids[1]! }] }, mentions: [ids[1]!] }), () => {});
    const outcomes = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        store.edit(conv, 1, {
          content: Buffer.from(`v${i}`),
          keyId: 1,
          maxEdits: 10,
          mentions: [],
          fileRefs: [],
          at: new Date(),
          head: (old) => ({ ...old, edit_count: (old.edit_count ?? 0) + 1 }),
        }),
      ),
    );
    assert.equal(outcomes.filter((o) => o === 'ok').length, 10);
    assert.equal(outcomes.filter((o) => o === 'max-edits').length, 5);
    const [msg] = await history(stores, conv, ids[0]!);
    assert.equal(msg?.head.edit_count, 10);
    const mentions = await db.kysely.selectFrom('message_mentions').selectAll().execute();
    assert.equal(mentions.length, 0);

    await Promise.all(
      ids.map((u) => store.updateHead(conv, 1, (h) => ({ ...h, reactions: { ...(h.reactions ?? {}), x: [...(h.reactions?.x ?? []), u] } }), new Date())),
    );
    const [after] = await history(stores, conv, ids[0]!);
    assert.deepEqual([...(after?.head.reactions?.x ?? [])].sort(), [...ids].sort());
    assert.equal(await store.updateHead(conv, 2, (h) => h, new Date()), false);
  });

  test('an edit replaces content and the mention and file rows, keeping the message time on them', async () => {
    const { stores, db } = get();
    const { conv, ids } = await fixture(db, 3);
    const [a, b, c] = ids as [string, string, string];
    const [f1, f2] = [randomUUID(), randomUUID()];
    const at = new Date('2030-02-02T00:00:00.000Z');
    await stores.sends.insert(message(conv, a, { at, mentions: [b], fileRefs: [f1] }), () => {});
    const edited = new Date('2030-02-03T00:00:00.000Z');
    assert.equal(
      await stores.edits.edit(conv, 1, {
        content: Buffer.from('new'),
        keyId: 2,
        maxEdits: 10,
        mentions: [b, c],
        fileRefs: [f2],
        at: edited,
        head: (old) => ({ ...old, edit_count: 1 }),
      }),
      'ok',
    );
    const msg = await stores.history.find(conv, 1);
    assert.equal(msg?.content?.toString(), 'new');
    assert.equal(msg?.keyId, 2);
    assert.equal(msg?.head.edit_count, 1);
    const mentions = await db.kysely
      .selectFrom('message_mentions')
      .select(['user_id', 'conversation_id', 'created_at', 'message_id'])
      .orderBy('user_id')
      .execute();
    assert.deepEqual(
      mentions.map((m) => m.user_id),
      [b, c].sort(),
    );
    for (const m of mentions) {
      assert.equal(m.message_id, msg!.id);
      assert.equal(m.conversation_id, conv);
      assert.equal(new Date(m.created_at as never).toISOString(), at.toISOString());
    }
    const files = await db.kysely.selectFrom('message_files').select(['file_id', 'message_id']).execute();
    assert.deepEqual(files, [{ file_id: f2, message_id: msg!.id }]);
    assert.deepEqual(
      (await stores.history.mentions(c, 10, new Date())).map((m) => m.seq),
      [1],
    );
  });

  test('edits of missing or deleted messages change nothing', async () => {
    const { stores } = get();
    const { conv, ids } = await fixture(stores.db, 1);
    const change = {
      content: Buffer.from('x'),
      keyId: 1,
      maxEdits: 10,
      mentions: [],
      fileRefs: [],
      at: new Date(),
      head: (old: object) => ({ ...old, edit_count: 1 }),
    };
    assert.equal(await stores.edits.edit(conv, 1, change), 'not-found');
    await stores.sends.insert(message(conv, ids[0]!), () => {});
    const msg = await stores.history.find(conv, 1);
    assert.equal(await stores.edits.markDeleted(msg!.id, new Date(), false), true);
    assert.equal(await stores.edits.edit(conv, 1, change), 'deleted');
    assert.equal((await stores.history.find(conv, 1))?.content?.toString(), 'sealed');
  });

  test('delete for everyone happens once and keeps the content; unsend marks the head', async () => {
    const { stores } = get();
    const { conv, ids } = await fixture(stores.db, 1);
    await stores.sends.insert(message(conv, ids[0]!, { head: { edit_count: 2 } }), () => {});
    await stores.sends.insert(message(conv, ids[0]!), () => {});
    const [one, two] = [await stores.history.find(conv, 1), await stores.history.find(conv, 2)];
    const at = new Date('2030-04-04T00:00:00.000Z');
    const results = await Promise.all([1, 2, 3].map(() => stores.edits.markDeleted(one!.id, at, true)));
    assert.equal(results.filter(Boolean).length, 1);
    const deleted = await stores.history.find(conv, 1);
    assert.equal(deleted?.deletedAt?.toISOString(), at.toISOString());
    assert.equal(deleted?.content?.toString(), 'sealed');
    assert.deepEqual(deleted?.head, { edit_count: 2, unsent: true });
    assert.equal(await stores.edits.markDeleted(two!.id, at, false), true);
    assert.deepEqual((await stores.history.find(conv, 2))?.head, {});
    assert.equal(await stores.edits.markDeleted(randomUUID(), at, false), false);
  });

  test('delete for me is idempotent and hides the message from that reader only', async () => {
    const { stores, db } = get();
    const { conv, ids } = await fixture(db, 2);
    const [a, b] = ids as [string, string];
    await stores.sends.insert(message(conv, a), () => {});
    await stores.sends.insert(message(conv, a), () => {});
    const msg = await stores.history.find(conv, 1);
    await stores.edits.hideFor(msg!.id, b, new Date());
    await stores.edits.hideFor(msg!.id, b, new Date());
    const rows = await db.kysely.selectFrom('message_deletions').selectAll().execute();
    assert.equal(rows.length, 1);
    assert.deepEqual(
      (await history(stores, conv, b)).map((m) => m.seq),
      [2],
    );
    assert.deepEqual(
      (await history(stores, conv, a)).map((m) => m.seq),
      [1, 2],
    );
  });
});
