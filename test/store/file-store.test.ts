import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { NewFile } from '../../src/store/file-store.js';
import { insertRoom, insertUsers, newMessage, storeSuite } from '../helpers/store.js';

function upload(uploaderId: string, extra: Partial<NewFile> = {}): NewFile {
  const id = randomUUID();
  return {
    id,
    uploaderId,
    mime: 'image/png',
    size: 1234,
    originalName: 'a.png',
    location: `blobs/${id}`,
    hash: `h-${id}`,
    needsProcessing: true,
    ...extra,
  };
}

const thumb = { bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]), mime: 'image/png' };

storeSuite('file store', (get) => {
  test('an upload is pending until ready, with its metadata; only a pending file changes status', async () => {
    const {
      stores: { files },
      db,
    } = get();
    const [u] = (await insertUsers(db, 1)) as [string];
    const f = upload(u);
    const { file } = await files.create(f);
    assert.deepEqual(
      { ...file, createdAt: null },
      {
        id: f.id,
        uploaderId: u,
        createdAt: null,
        mime: 'image/png',
        size: 1234,
        originalName: 'a.png',
        location: f.location,
        hash: f.hash,
        status: 'pending',
      },
    );
    assert.equal(await files.metadata(f.id), null);
    await files.markReady(f.id, { width: 10, height: 20, duration: null, thumbnail: thumb });
    assert.equal((await files.get(f.id))?.status, 'ready');
    assert.deepEqual(await files.metadata(f.id), { width: 10, height: 20, duration: null, thumbnail: thumb });
    await files.markReady(f.id, { width: 1, height: 1, duration: 1, thumbnail: null });
    await files.markFailed(f.id, 'too late');
    assert.equal((await files.get(f.id))?.status, 'ready');
    assert.equal((await files.metadata(f.id))?.width, 10, 'a ready file keeps its metadata');
    const plain = upload(u, { mime: 'application/pdf', needsProcessing: false });
    assert.equal((await files.create(plain)).file.status, 'ready', 'nothing to extract: ready at once');
  });

  test("uploadedBy pages through one uploader's live files by id", async () => {
    const {
      stores: { files },
      db,
    } = get();
    const [u, other] = (await insertUsers(db, 2)) as [string, string];
    const mine: string[] = [];
    for (let i = 0; i < 5; i++) mine.push((await files.create(upload(u))).file.id);
    await files.create(upload(other));
    await db.kysely.updateTable('files').set({ deleted_at: new Date() }).where('id', '=', mine[2]!).execute();
    const live = mine.filter((_, i) => i !== 2).sort();
    const first = await files.uploadedBy(u, null, 3);
    assert.deepEqual(
      first.map((f) => f.id),
      live.slice(0, 3),
    );
    const rest = await files.uploadedBy(u, first[2]!.id, 3);
    assert.deepEqual(
      rest.map((f) => f.id),
      live.slice(3),
    );
    assert.ok(first.every((f) => f.uploaderId === u));
    assert.equal((await files.uploadedBy(other, null, 10)).length, 1);
  });

  test('a failed file keeps the reason hidden from metadata; a deleted file is invisible', async () => {
    const {
      stores: { files },
      db,
    } = get();
    const [u] = (await insertUsers(db, 1)) as [string];
    const f = upload(u);
    await files.create(f);
    await files.markFailed(f.id, 'x'.repeat(900));
    assert.equal((await files.get(f.id))?.status, 'failed');
    assert.deepEqual(await files.metadata(f.id), { width: null, height: null, duration: null, thumbnail: null });
    const extra = await db.kysely.selectFrom('file_metadata').select('extra').where('file_id', '=', f.id).executeTakeFirstOrThrow();
    const stored = (typeof extra.extra === 'string' ? JSON.parse(extra.extra) : extra.extra) as { failure: string };
    assert.equal(stored.failure.length, 500);
    await files.markReady(f.id, null);
    assert.equal((await files.get(f.id))?.status, 'failed');
    await db.kysely.updateTable('files').set({ deleted_at: new Date() }).where('id', '=', f.id).execute();
    assert.equal(await files.get(f.id), null);
  });

  test('an upload with the hash of a ready file shares its bytes but nothing else: pending, its own type, no copied metadata', async () => {
    const {
      stores: { files },
      db,
    } = get();
    const [a, b] = (await insertUsers(db, 2)) as [string, string];
    const first = upload(a, { hash: 'same' });
    await files.create(first);
    const early = await files.create(upload(b, { hash: 'same' }));
    assert.equal(early.file.status, 'pending', 'a pending twin is no twin');
    await files.markReady(first.id, { width: 3, height: 4, duration: 5, thumbnail: thumb });
    const second = upload(b, { hash: 'same', mime: 'image/x-guess' });
    const { file } = await files.create(second);
    assert.equal(file.status, 'pending');
    // The storage key is the one given (uploads give the hash, which is how the bytes are shared on disk).
    assert.equal(file.location, second.location);
    assert.equal(file.mime, 'image/x-guess');
    assert.equal(file.uploaderId, b);
    assert.equal(await files.metadata(second.id), null);
  });

  test('canRead: the uploader, and active members of a conversation whose live message references the file', async () => {
    const { stores, db } = get();
    const { files } = stores;
    const room = await insertRoom(db, 2);
    const [sender, member] = room.ids as [string, string];
    const [stranger] = (await insertUsers(db, 1)) as [string];
    const f = upload(sender);
    const { file } = await files.create(f);
    assert.equal(await files.canRead(file, sender), true);
    assert.equal(await files.canRead(file, member), false, 'not referenced yet');
    await stores.sends.insert(newMessage(room.conv, sender, { fileRefs: [f.id] }), () => {});
    assert.equal(await files.canRead(file, member), true);
    assert.equal(await files.canRead(file, stranger), false);
    await stores.membership.removeMember(room.conv, member, ['member']);
    assert.equal(await files.canRead(file, member), false, 'a removed member loses access');
    await stores.membership.addMember(room.conv, member);
    assert.equal(await files.canRead(file, member), true);
    const msg = await stores.history.find(room.conv, 1);
    await stores.edits.markDeleted(msg!.id, new Date(), false);
    assert.equal(await files.canRead(file, member), false, 'the referencing message was deleted');
    assert.equal(await files.canRead(file, sender), true, 'the uploader always can');
  });

  test('canRead follows edits: the new reference grants access, the dropped one no longer does', async () => {
    const { stores, db } = get();
    const room = await insertRoom(db, 2);
    const [sender, member] = room.ids as [string, string];
    const one = (await stores.files.create(upload(sender))).file;
    const two = (await stores.files.create(upload(sender))).file;
    await stores.sends.insert(newMessage(room.conv, sender, { fileRefs: [one.id] }), () => {});
    assert.equal(
      await stores.edits.edit(room.conv, 1, {
        content: Buffer.from('e'),
        keyId: 1,
        maxEdits: 10,
        mentions: [],
        fileRefs: [two.id],
        at: new Date(),
        head: (h) => h,
      }),
      'ok',
    );
    assert.equal(await stores.files.canRead(one, member), false);
    assert.equal(await stores.files.canRead(two, member), true);
  });

  test('readableBy answers, in one call, which ids a user may read; unknown ids are simply absent', async () => {
    const { stores, db } = get();
    const room = await insertRoom(db, 2);
    const [sender, member] = room.ids as [string, string];
    const [stranger] = (await insertUsers(db, 1)) as [string];
    const cited = (await stores.files.create(upload(sender))).file;
    const uncited = (await stores.files.create(upload(sender))).file;
    const own = (await stores.files.create(upload(member))).file;
    const unknown = randomUUID();
    await stores.sends.insert(newMessage(room.conv, sender, { fileRefs: [cited.id] }), () => {});
    const ids = [cited.id, uncited.id, own.id, unknown];
    assert.deepEqual([...(await stores.files.readableBy(member, ids))].sort(), [cited.id, own.id].sort());
    assert.deepEqual([...(await stores.files.readableBy(sender, ids))].sort(), [cited.id, uncited.id].sort());
    assert.deepEqual([...(await stores.files.readableBy(stranger, ids))], []);
    assert.deepEqual([...(await stores.files.readableBy(member, []))], []);
  });

  test('canRead ends for a reader whose copy expired (by time or by the sweep); the sender keeps it', async () => {
    const { stores, db } = get();
    const room = await insertRoom(db, 3);
    const [sender, early, late] = room.ids as [string, string, string];
    const f = (await stores.files.create(upload(sender))).file;
    await stores.sends.insert(newMessage(room.conv, sender, { fileRefs: [f.id], viewOnce: true }), () => {});
    const readAt = new Date(Date.now() - 60_000);
    await stores.receipts.markRead(room.conv, early, 1, { readAt, conversationTtl: null });
    assert.equal(await stores.files.canRead(f, early, new Date(readAt.getTime() + 5_000)), true, 'inside the view-once time');
    assert.equal(await stores.files.canRead(f, early), false, 'expires_at passed, before any sweep');
    assert.equal((await stores.receipts.expireDue(new Date(), 10)).length, 1);
    assert.equal(await stores.files.canRead(f, early, readAt), false, 'flagged expired by the sweep');
    assert.equal(await stores.files.canRead(f, late), true, 'a reader who has not read it yet');
    assert.equal(await stores.files.canRead(f, sender), true);
  });

  test('claimStalePending hands each stale pending file to one caller', async () => {
    const {
      stores: { files },
      db,
    } = get();
    const [u] = (await insertUsers(db, 1)) as [string];
    const stale = [upload(u), upload(u), upload(u)];
    for (const f of stale) await files.create(f);
    const fresh = upload(u);
    await files.create(fresh);
    const done = upload(u);
    await files.create(done);
    await files.markReady(done.id, null);
    const old = new Date('2020-01-01T00:00:00.000Z');
    await db.kysely
      .updateTable('files')
      .set({ updated_at: old })
      .where('id', 'in', [...stale.map((f) => f.id), done.id])
      .execute();
    const cutoff = new Date('2021-01-01T00:00:00.000Z');
    const [x, y] = await Promise.all([files.claimStalePending(cutoff, 10), files.claimStalePending(cutoff, 10)]);
    const claimed = [...x, ...y].map((f) => f.id).sort();
    assert.deepEqual(claimed, stale.map((f) => f.id).sort());
    assert.deepEqual(await files.claimStalePending(cutoff, 10), []);
    await db.kysely.updateTable('files').set({ updated_at: old }).where('id', '=', stale[0]!.id).execute();
    assert.deepEqual(
      (await files.claimStalePending(cutoff, 1)).map((f) => f.id),
      [stale[0]!.id],
    );
  });
});
