import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { backends, withServer, type TestServer } from '../helpers/server.js';
import { dmBetween, roomWith, setDisappearingTtl } from '../helpers/conversations.js';
import type { Frame } from '../helpers/client.js';
import { download, mediaMessage, upload } from './files-support.js';

type User = Awaited<ReturnType<TestServer['user']>>;

const pick = (r: Frame) => [r.code, r.text];
const seqsOf = (r: Frame): number[] => r.params.messages.map((m: { seq: number }) => m.seq);

/** A ready file uploaded by `u` (plain bytes: no processing to wait for). */
async function uploadNote(s: TestServer, u: User, body = 'private note') {
  const r = await upload(s, u.token, Buffer.from(`${body} ${randomUUID()}`), { name: 'note.txt' });
  assert.equal(r.status, 201, r.text);
  return r.json!;
}

const cite = (id: string) => mediaMessage(id, 'application/octet-stream', 10);

async function status(s: TestServer, u: User, id: string, thumb = false): Promise<number> {
  return (await download(s, u.token, id, { thumb })).status;
}

async function fileRows(s: TestServer, conv: string): Promise<string[]> {
  const rows = await s.app.deps.stores.db.kysely.selectFrom('message_files').select('file_id').where('conversation_id', '=', conv).execute();
  return rows.map((r) => r.file_id);
}

/** Ends the reader's copies at once, as time passing would (expires_at in the past). */
async function expireReadsOf(s: TestServer, reader: User): Promise<void> {
  await s.app.deps.stores.db.kysely
    .updateTable('message_reads')
    .set({ expires_at: new Date(Date.now() - 1000) })
    .where('user_id', '=', reader.id)
    .execute();
}

for (const backend of backends()) {
  test(`[${backend}] a file id learned elsewhere is not a key: send and edit citing it are refused like an unknown id, nothing is stored`, () =>
    withServer(backend, async (s) => {
      const [alice, bob, mallory, friend] = [await s.user(), await s.user(), await s.user(), await s.user()];
      const victimDm = await dmBetween(s, alice, bob);
      const photo = await uploadNote(s, alice, 'photo');
      assert.equal((await alice.client.request('send', { conv: victimDm, content: cite(photo.id) })).code, 202);

      // Mallory learned the id (it is in the message content Bob can show); she cites it in a DM with a friend.
      const conv = await dmBetween(s, mallory, friend);
      const forbidden = await mallory.client.request('send', { conv, content: cite(photo.id) });
      const unknown = await mallory.client.request('send', { conv, content: cite(randomUUID()) });
      assert.deepEqual(pick(forbidden), [404, 'file not found']);
      assert.deepEqual(pick(unknown), pick(forbidden), 'a forbidden id answers exactly like an unknown one');
      // One forbidden id among readable ones refuses the whole message.
      const own = await uploadNote(s, mallory);
      const mixed = await mallory.client.request('send', { conv, content: { v: 1, media: [cite(own.id).media[0], cite(photo.id).media[0]] } });
      assert.deepEqual(pick(mixed), [404, 'file not found']);
      assert.deepEqual(seqsOf(await friend.client.request('get', { what: 'messages', conv })), [], 'nothing stored');
      assert.deepEqual(await fileRows(s, conv), []);
      assert.equal(await status(s, mallory, photo.id), 404);
      assert.equal(await status(s, friend, photo.id), 404);

      // The same through an edit of her own message: refused, the message keeps its old content.
      const sent = await mallory.client.request('send', { conv, content: { v: 1, text: 'hello' } });
      assert.equal(sent.code, 202);
      const edited = await mallory.client.request('edit', { conv, seq: sent.params.seq, content: cite(photo.id) });
      assert.deepEqual(pick(edited), [404, 'file not found']);
      const editUnknown = await mallory.client.request('edit', { conv, seq: sent.params.seq, content: cite(randomUUID()) });
      assert.deepEqual(pick(editUnknown), pick(edited));
      const history = await friend.client.request('get', { what: 'messages', conv });
      assert.deepEqual(seqsOf(history), [sent.params.seq]);
      assert.equal(Buffer.from(history.params.messages[0].content, 'base64').toString('utf8'), JSON.stringify({ v: 1, text: 'hello' }));
      assert.equal(history.params.messages[0].head, undefined, 'not marked edited');
      assert.deepEqual(await fileRows(s, conv), []);
      assert.equal(await status(s, friend, photo.id), 404);

      // Her own upload is citable, and an edit may keep citing what the message already cites.
      const ok = await mallory.client.request('send', { conv, content: cite(own.id) });
      assert.equal(ok.code, 202);
      assert.equal((await mallory.client.request('edit', { conv, seq: ok.params.seq, content: cite(own.id) })).code, 200);
      assert.equal(await status(s, friend, own.id), 200);
    }));

  test(`[${backend}] a member may forward a file she can read, and the recipient can then download it`, () =>
    withServer(backend, async (s) => {
      const [alice, bob, eve] = [await s.user(), await s.user(), await s.user()];
      const room = await roomWith(s, alice, [bob]);
      const file = await uploadNote(s, alice);
      assert.equal((await alice.client.request('send', { conv: room, content: cite(file.id) })).code, 202);
      const dm = await dmBetween(s, bob, eve);
      assert.equal((await bob.client.request('send', { conv: dm, content: cite(file.id) })).code, 202);
      assert.equal(await status(s, eve, file.id), 200);
    }));

  test(`[${backend}] access taken away by delete for everyone, unsend, kick or leaving does not come back by citing the file`, () =>
    withServer(backend, async (s) => {
      const [alice, bob, carol, dave, eve] = [await s.user(), await s.user(), await s.user(), await s.user(), await s.user()];
      const room = await roomWith(s, alice, [bob, carol, dave]);
      const dms = new Map<User, string>();
      for (const u of [bob, carol, dave]) dms.set(u, await dmBetween(s, u, eve));
      const refused = async (u: User, id: string, why: string) => {
        const conv = dms.get(u)!;
        assert.deepEqual(pick(await u.client.request('send', { conv, content: cite(id) })), [404, 'file not found'], why);
        assert.equal(await status(s, u, id), 404, `${why}: no download`);
        assert.equal(await status(s, eve, id), 404, `${why}: the friend cannot download`);
      };

      const deleted = await uploadNote(s, alice, 'deleted');
      const one = await alice.client.request('send', { conv: room, content: cite(deleted.id) });
      assert.equal(await status(s, bob, deleted.id), 200);
      assert.equal((await alice.client.request('delete', { conv: room, seq: one.params.seq, forEveryone: true })).code, 200);
      await refused(bob, deleted.id, 'deleted for everyone');

      const unsent = await uploadNote(s, alice, 'unsent');
      const two = await alice.client.request('send', { conv: room, content: cite(unsent.id) });
      assert.equal(await status(s, bob, unsent.id), 200);
      assert.equal((await alice.client.request('unsend', { conv: room, seq: two.params.seq })).code, 200);
      await refused(bob, unsent.id, 'unsent');
      assert.equal(await status(s, bob, unsent.id, true), 404, 'unsent: no thumbnail');

      const kept = await uploadNote(s, alice, 'kept');
      assert.equal((await alice.client.request('send', { conv: room, content: cite(kept.id) })).code, 202);
      assert.equal((await alice.client.request('room', { id: room, action: 'kick', user: carol.id })).code, 200);
      assert.equal((await dave.client.request('room', { id: room, action: 'leave' })).code, 200);
      await refused(carol, kept.id, 'kicked');
      await refused(dave, kept.id, 'left');
      assert.equal(await status(s, bob, kept.id), 200, 'an active member keeps access');
      assert.deepEqual(await fileRows(s, dms.get(bob)!), []);
      assert.deepEqual(await fileRows(s, dms.get(carol)!), []);
      assert.deepEqual(await fileRows(s, dms.get(dave)!), []);
      for (const id of [deleted.id, unsent.id, kept.id]) assert.equal(await status(s, alice, id), 200, 'the uploader keeps her file');
    }));

  test(`[${backend}] an expired view-once attachment is gone for the reader (404, also as a citation); the sender keeps it`, () =>
    withServer(backend, async (s) => {
      const [alice, bob, eve] = [await s.user(), await s.user(), await s.user()];
      const conv = await dmBetween(s, alice, bob);
      const file = await uploadNote(s, alice, 'look once');
      const sent = await alice.client.request('send', { conv, content: cite(file.id), viewOnce: true });
      assert.equal(sent.code, 202);
      assert.equal(await status(s, bob, file.id), 200, 'readable until it expires');
      assert.equal((await bob.client.request('read', { conv, seq: sent.params.seq })).code, 200);
      assert.equal(await status(s, bob, file.id), 200, 'still inside the view-once time');
      await expireReadsOf(s, bob);
      const gone = await download(s, bob.token, file.id);
      assert.deepEqual([gone.status, gone.text], [404, 'file not found\n']);
      assert.equal(await status(s, bob, file.id, true), 404, 'thumbnail too');
      const dm = await dmBetween(s, bob, eve);
      assert.deepEqual(pick(await bob.client.request('send', { conv: dm, content: cite(file.id) })), [404, 'file not found']);
      assert.equal(await status(s, alice, file.id), 200, 'the sender keeps her copy');
    }));

  test(`[${backend}] an expired disappearing attachment is gone for the reader; a sender who forwarded it keeps it`, () =>
    withServer(backend, async (s) => {
      const [alice, bob, eve] = [await s.user(), await s.user(), await s.user()];
      const first = await dmBetween(s, alice, bob);
      const file = await uploadNote(s, alice, 'forwarded');
      const original = await alice.client.request('send', { conv: first, content: cite(file.id) });
      // Bob forwards it into a disappearing DM with Eve; then Alice takes hers back, so only his message gives access.
      const conv = await dmBetween(s, bob, eve);
      await setDisappearingTtl(bob, conv, 60);
      const fwd = await bob.client.request('send', { conv, content: cite(file.id) });
      assert.equal(fwd.code, 202);
      assert.equal((await alice.client.request('delete', { conv: first, seq: original.params.seq, forEveryone: true })).code, 200);
      assert.equal(await status(s, eve, file.id), 200);
      assert.equal((await eve.client.request('read', { conv, seq: fwd.params.seq })).code, 200);
      await expireReadsOf(s, eve);
      assert.deepEqual(seqsOf(await eve.client.request('get', { what: 'messages', conv })), []);
      assert.equal(await status(s, eve, file.id), 404, 'expired for the reader');
      assert.equal(await status(s, bob, file.id), 200, 'the sender keeps his copy, as his history does');
      assert.deepEqual(seqsOf(await bob.client.request('get', { what: 'messages', conv })), [fwd.params.seq]);
    }));
}
