import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backends } from '../helpers/server.js';
import { download, images, mediaMessage, upload, waitProcessed } from './files-support.js';

for (const backend of backends()) {
  test(`[${backend}] who may download an attachment: uploader and active members of a conversation with a live message`, async () => {
    const s = await startServer(backend);
    try {
      const [owner, member, kicked, leaver, stranger] = [await s.user(), await s.user(), await s.user(), await s.user(), await s.user()];
      const room = await owner.client.request('room', { id: 'new', action: 'create', desc: { public: { fn: 'photos' } } });
      assert.equal(room.code, 201);
      const conv = room.params.conv as string;
      for (const u of [member, kicked, leaver]) assert.equal((await owner.client.request('room', { id: conv, action: 'invite', user: u.id })).code, 200);

      const bytes = await images.jpeg();
      const file = (await upload(s, owner.token, bytes)).json!;
      assert.equal(await waitProcessed(s, owner.token, file.id), 200);
      // Before any message references it, only the uploader can read it.
      assert.equal((await download(s, member.token, file.id)).status, 404);

      const sent = await owner.client.request('send', { conv, content: mediaMessage(file.id, file.mime, file.size) });
      assert.equal(sent.code, 202);
      assert.equal((await owner.client.request('room', { id: conv, action: 'kick', user: kicked.id })).code, 200);
      assert.equal((await leaver.client.request('room', { id: conv, action: 'leave' })).code, 200);

      const status = async (token: string, thumb = false) => (await download(s, token, file.id, { thumb })).status;
      assert.equal(await status(owner.token), 200, 'uploader');
      assert.equal(await status(member.token), 200, 'active member');
      assert.equal(await status(member.token, true), 200, 'active member, thumbnail');
      const got = await download(s, member.token, file.id);
      assert.ok(got.body.equals(bytes));
      assert.equal(await status(kicked.token), 404, 'kicked member');
      assert.equal(await status(leaver.token), 404, 'member who left');
      const denied = await download(s, stranger.token, file.id);
      assert.deepEqual([denied.status, denied.text], [404, 'file not found\n'], 'non-member: same answer as a missing file');

      // Once the only message referencing it is deleted for everyone, members lose access; the uploader keeps it.
      assert.equal((await owner.client.request('delete', { conv, seq: sent.params.seq, forEveryone: true })).code, 200);
      assert.equal(await status(member.token), 404, 'message deleted');
      assert.equal(await status(member.token, true), 404, 'message deleted, thumbnail');
      assert.equal(await status(owner.token), 200, 'uploader after deletion');
      for (const u of [owner, member, kicked, leaver, stranger]) u.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] a file sent in a DM is readable by the other participant, and another message keeps access alive`, async () => {
    const s = await startServer(backend);
    try {
      const a = await s.user();
      const b = await s.user();
      const dm = await a.client.request('dm', { user: b.id });
      assert.ok(dm.code === 200 || dm.code === 201, JSON.stringify(dm));
      const conv = dm.params.conv as string;
      const file = (await upload(s, a.token, Buffer.from('meeting notes'), { name: 'notes.txt', type: 'text/plain' })).json!;
      const first = await a.client.request('send', { conv, content: mediaMessage(file.id, file.mime, file.size) });
      const second = await a.client.request('send', { conv, content: mediaMessage(file.id, file.mime, file.size) });
      assert.deepEqual([first.code, second.code], [202, 202]);
      const got = await download(s, b.token, file.id);
      assert.equal(got.status, 200);
      assert.equal(got.text, 'meeting notes');
      assert.equal(got.headers.get('content-type'), 'application/octet-stream');
      assert.equal((await a.client.request('delete', { conv, seq: first.params.seq, forEveryone: true })).code, 200);
      assert.equal((await download(s, b.token, file.id)).status, 200, 'still referenced by the second message');
      a.client.close();
      b.client.close();
    } finally {
      await s.close();
    }
  });
}
