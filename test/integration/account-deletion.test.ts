import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends, startServer, PASSWORD, type TestServer } from '../helpers/server.js';
import { basic, type TestClient } from '../helpers/client.js';
import { download, images, mediaMessage, upload, waitProcessed } from './files-support.js';

const codeText = (r: Record<string, any>) => [r.code, r.text];

async function waitDone(s: TestServer, userId: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await s.app.deps.stores.deletions.get(userId))?.done) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('deletion job did not finish');
}

/** The request succeeds: with `code` when given, else any 2xx. */
async function must(c: TestClient, op: string, body: unknown, code?: number) {
  const r = await c.request(op, body);
  const good = code === undefined ? r.code >= 200 && r.code < 300 : r.code === code;
  assert.ok(good, `${op} ${JSON.stringify(body)} → ${r.code} ${r.text}`);
  return r;
}

for (const backend of backends()) {
  test(`[${backend}] acc me {delete}: wrong password refused and limited like logins`, { timeout: 60_000 }, async () => {
    const s = await startServer(backend, { authLimit: 3, frameRate: 1000 });
    try {
      const her = await s.user();
      assert.deepEqual(codeText(await her.client.request('acc', { user: 'me', delete: { password: 'wrong-pass' } })), [403, 'incorrect current password']);
      assert.deepEqual(codeText(await her.client.request('acc', { user: 'me', delete: {} })), [403, 'incorrect current password']);
      assert.deepEqual(codeText(await her.client.request('acc', { user: 'me', delete: { password: 'wrong-again' } })), [403, 'incorrect current password']);
      // The fourth check of her name within the minute: refused before the password is looked at, even the right one.
      assert.deepEqual(codeText(await her.client.request('acc', { user: 'me', delete: { password: PASSWORD } })), [429, 'too many attempts']);
      assert.equal((await s.app.deps.stores.accounts.getUser(her.id))?.state, 'ok');
      const anon = await s.connect();
      assert.deepEqual(codeText(await anon.request('acc', { user: 'me', delete: { password: PASSWORD } })), [401, 'authentication required']);
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] acc me {delete}: she is erased, what others received stays theirs`, { timeout: 60_000 }, async () => {
    const s = await startServer(backend, { frameRate: 1000 });
    try {
      const her = await s.user(undefined, { fn: 'Her Name' });
      const second = await s.connect(); // her other device
      await must(second, 'login', { scheme: 'token', secret: her.token });
      const peer = await s.user();
      const admin = await s.user();
      const member = await s.user();
      const k = s.app.deps.stores.db.kysely;

      await must(her.client, 'acc', { user: 'me', email: 'her@example.org', desc: { private: { notes: 'mine' } } });
      await must(her.client, 'contact', { add: peer.id });
      const invite = await must(her.client, 'invite', { create: { email: 'friend@example.org' } }, 201);
      const dm = (await must(her.client, 'dm', { user: peer.id })).params.conv as string;
      await must(her.client, 'send', { conv: dm, content: { v: 1, text: 'evidence' } }, 202);
      await must(peer.client, 'send', { conv: dm, content: { v: 1, text: 'reply' } }, 202);
      const reacted = (await must(peer.client, 'send', { conv: dm, content: { v: 1, text: 'react to me' } }, 202)).params.seq;
      await must(her.client, 'react', { conv: dm, seq: reacted, emoji: '👍' });
      const unsent = (await must(her.client, 'send', { conv: dm, content: { v: 1, text: 'taken back' } }, 202)).params.seq;
      await must(her.client, 'unsend', { conv: dm, seq: unsent });
      await must(her.client, 'read', { conv: dm, seq: reacted });
      await must(her.client, 'clear', { conv: dm, seq: 1 });

      // A room she owns with an admin and a member: ownership goes to the admin.
      const room = (await must(her.client, 'room', { id: 'new', action: 'create', desc: { public: { fn: 'R' } } }, 201)).params.conv as string;
      await must(her.client, 'room', { id: room, action: 'invite', user: member.id });
      await must(her.client, 'room', { id: room, action: 'invite', user: admin.id });
      await must(her.client, 'room', { id: room, action: 'role', user: admin.id, role: 'admin' });
      // A room only she is in: closed.
      const lonely = (await must(her.client, 'room', { id: 'new', action: 'create', desc: { public: { fn: 'L' } } }, 201)).params.conv as string;
      await must(her.client, 'send', { conv: lonely, content: { v: 1, text: 'diary' } }, 202);

      // Files: one sent to the peer (stays for him), one never sent, one sent only into the lonely room.
      const shared = (await upload(s, her.token, await images.png(), { type: 'image/png', name: 'shared.png' })).json!;
      const privateFile = (await upload(s, her.token, await images.jpeg(), { type: 'image/jpeg', name: 'private.jpg' })).json!;
      const diaryFile = (await upload(s, her.token, await images.webp(), { type: 'image/webp', name: 'diary.webp' })).json!;
      for (const f of [shared, privateFile, diaryFile]) await waitProcessed(s, her.token, f.id);
      await must(her.client, 'send', { conv: dm, content: mediaMessage(shared.id, 'image/png', shared.size) }, 202);
      await must(her.client, 'send', { conv: lonely, content: mediaMessage(diaryFile.id, 'image/webp', diaryFile.size) }, 202);
      assert.equal((await download(s, peer.token, shared.id)).status, 200);

      const closedHere = her.client.closed;
      const closedThere = second.closed;
      const left = admin.client.next((f) => f.info?.what === 'member_left' && f.info.conv === room);
      const promoted = member.client.next((f) => f.info?.what === 'role_changed' && f.info.conv === room);
      const reply = await must(her.client, 'acc', { user: 'me', delete: { password: PASSWORD } });
      assert.deepEqual(reply.params, { deleted: true });
      assert.equal((await closedHere).code, 4010);
      assert.equal((await closedThere).code, 4010);
      assert.deepEqual((await promoted).info.content, { role: 'owner' });
      assert.equal((await promoted).info.user, admin.id);
      assert.equal((await left).info.from, her.id);
      await waitDone(s, her.id);

      // Password and tokens stop working; the name stays taken.
      const c = await s.connect();
      assert.deepEqual(codeText(await c.request('login', { scheme: 'basic', secret: basic(her.name, PASSWORD) })), [401, 'invalid credentials']);
      assert.deepEqual(codeText(await c.request('login', { scheme: 'token', secret: her.token })), [401, 'user not found']);
      assert.equal((await upload(s, her.token, await images.png(), { type: 'image/png' })).status, 401);
      assert.deepEqual(codeText(await c.request('acc', { user: 'new', scheme: 'basic', secret: basic(her.name, 'another-pass') })), [
        409,
        'username already taken',
      ]);

      // Others see a deleted user.
      assert.deepEqual(codeText(await peer.client.request('get', { what: 'user', user: her.id })), [404, 'user not found']);
      assert.deepEqual(codeText(await peer.client.request('dm', { user: her.id })), [404, 'user not found']);
      assert.deepEqual(codeText(await peer.client.request('send', { conv: dm, content: { v: 1, text: 'hello?' } })), [403, 'account deleted']);
      assert.equal((await peer.client.request('search', { query: 'her name' })).params.users?.length ?? 0, 0);
      const contacts = await must(peer.client, 'get', { what: 'contacts' });
      assert.equal(JSON.stringify(contacts.params).includes(her.id), false);

      // What the peer received stays: her messages (from her id), her reaction, her file.
      const history = (await must(peer.client, 'get', { what: 'messages', conv: dm })).params.messages as Record<string, any>[];
      const texts = history.filter((m) => m.from === her.id && !m.deleted).map((m) => JSON.parse(Buffer.from(m.content, 'base64').toString()).text);
      assert.ok(texts.includes('evidence'));
      assert.ok(texts.includes('see attached'));
      const r = history.find((m) => m.seq === reacted)!;
      assert.ok(JSON.stringify(r.head?.reactions ?? {}).includes(her.id), 'her reaction stays');
      assert.equal((await download(s, peer.token, shared.id)).status, 200);

      // The room passed on; the lonely room is gone with its history.
      const conv = await k.selectFrom('conversations').select(['id', 'owner_id']).where('id', 'in', [room, lonely]).execute();
      assert.deepEqual(conv, [{ id: room, owner_id: admin.id }]);
      const members = (await must(member.client, 'get', { what: 'members', conv: room })).params;
      assert.equal(JSON.stringify(members).includes(her.id), false);

      // Erased: profile, e-mail, private data, contacts, invites, her private files and their bytes, unsent content.
      const user = await k.selectFrom('users').selectAll().where('id', '=', her.id).executeTakeFirstOrThrow();
      assert.equal(user.state, 'deleted');
      for (const col of ['public', 'private', 'email', 'search_name', 'lang', 'last_seen', 'email_verification_token'] as const)
        assert.equal(user[col], null, col);
      assert.equal(user.user_agent, '');
      assert.equal(
        (
          await k
            .selectFrom('contacts')
            .select('user_id')
            .where((eb) => eb.or([eb('user_id', '=', her.id), eb('contact_id', '=', her.id)]))
            .execute()
        ).length,
        0,
      );
      assert.equal((await k.selectFrom('invite_codes').select('id').where('inviter_id', '=', her.id).execute()).length, 0);
      assert.equal((await k.selectFrom('sessions').select('id').where('user_id', '=', her.id).execute()).length, 0, 'her sessions are erased');
      assert.deepEqual(codeText(await peer.client.request('invite', { redeem: invite.params.code })), [404, 'invite not found or already used']);
      const files = await k.selectFrom('files').select('id').where('uploader_id', '=', her.id).execute();
      assert.deepEqual(
        files.map((f) => f.id),
        [shared.id],
      );
      for (const f of [privateFile, diaryFile]) {
        assert.equal((await k.selectFrom('file_metadata').select('file_id').where('file_id', '=', f.id).execute()).length, 0);
        const stat = await s.app.deps.stores.files.get(f.id);
        assert.equal(stat, null);
      }
      // The sync log keeps nothing of hers but the room and DM events others saw (a message, a reaction, her leaving).
      const traces = await k
        .selectFrom('sync_events')
        .select(['kind', 'user_id'])
        .where((eb) => eb.or([eb('user_id', '=', her.id), eb.and([eb('from_user', '=', her.id), eb('kind', 'in', ['read', 'recv'])])]))
        .execute();
      assert.deepEqual(traces, [], 'her own sync events and receipts are erased');
      const gone = await k.selectFrom('messages').select('content').where('conversation_id', '=', dm).where('seq', '=', unsent).executeTakeFirstOrThrow();
      assert.equal(gone.content, null);
      // Reconnect attempts with her token get nowhere; a second request to delete is refused the same way.
      assert.deepEqual(codeText(await c.request('login', { scheme: 'basic', secret: basic(her.name, 'anything') })), [401, 'invalid credentials']);
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] the erase job is retried after a failing step and runs once across two runners`, { timeout: 60_000 }, async () => {
    const s = await startServer(backend, { frameRate: 1000, deletionLease: 1 });
    try {
      const her = await s.user();
      const peer = await s.user();
      await must(her.client, 'contact', { add: peer.id });
      const deletions = s.app.deps.stores.deletions;
      // Sabotage the contacts store for a moment: the step fails, the job waits, the sweep finishes it.
      const contacts = s.app.deps.stores.contacts;
      const real = contacts.removeAllOf.bind(contacts);
      let failures = 0;
      contacts.removeAllOf = async (id: string) => {
        if (failures++ < 2) throw new Error('storage down');
        return real(id);
      };
      await must(her.client, 'acc', { user: 'me', delete: { password: PASSWORD } });
      // From the first instant she is deleted for everyone, whatever the job is doing.
      assert.deepEqual(codeText(await peer.client.request('get', { what: 'user', user: her.id })), [404, 'user not found']);
      await waitDone(s, her.id);
      contacts.removeAllOf = real;
      assert.ok(failures >= 3);
      const job = await deletions.get(her.id);
      assert.equal(job?.lastStep, 'erase-files');
      assert.ok((job?.attempts ?? 0) >= 3);
      assert.equal(await s.app.deps.stores.db.kysely.selectFrom('contacts').select('user_id').where('contact_id', '=', her.id).executeTakeFirst(), undefined);
      // A finished job is never claimed again.
      assert.equal(await deletions.claim(her.id, 'another-node', new Date(Date.now() + 60_000)), null);
    } finally {
      await s.close();
    }
  });
}
