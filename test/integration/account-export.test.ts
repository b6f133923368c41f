import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXPORT_PAGE } from '../../src/domain/account-export.js';
import { backends, PASSWORD, startServer, withServer, type TestServer } from '../helpers/server.js';
import { basic, type TestClient } from '../helpers/client.js';
import { download, mediaMessage, upload, waitProcessed } from './files-support.js';

type User = Awaited<ReturnType<TestServer['user']>>;

async function exportOf(s: TestServer, token: string | null, body: unknown = { password: PASSWORD }, prefix = '') {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${s.httpUrl}${prefix}/v0/account/export`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, text, headers: res.headers, json: res.status === 200 ? JSON.parse(text) : null };
}

async function must(c: TestClient, op: string, body: unknown, code = 200) {
  const r = await c.request(op, body);
  assert.equal(r.code, code, `${op} ${JSON.stringify(body)} → ${r.code} ${r.text}`);
  return r;
}

const say = async (u: User, conv: string, text: string, extra: Record<string, unknown> = {}) =>
  (await must(u.client, 'send', { conv, content: { v: 1, text }, ...extra }, 202)).params.seq as number;

interface Exported {
  seq: number;
  from: string;
  fromName: string | null;
  ts: string;
  content?: { text?: string; media?: { ref: string }[] };
  deleted?: true;
  head?: Record<string, unknown>;
  viewOnce?: true;
  files?: { id: string; path: string }[];
}

for (const backend of backends()) {
  test(`[${backend}] export: profile, contacts, a DM and a room with what her history shows, readable, and her files`, () =>
    withServer(backend, async (s) => {
      const alice = await s.user('alice_export', { fn: 'Alice' });
      const bob = await s.user('bob_export', { fn: 'Bob' });
      const carol = await s.user('carol_export', { fn: 'Carol' });
      await must(alice.client, 'acc', { user: 'me', desc: { private: { note: 'mine only' } }, lang: 'en' });
      await must(alice.client, 'contact', { add: bob.id });
      await must(alice.client, 'contact', { user: bob.id, nickname: 'B.' });

      const dm = (await must(alice.client, 'dm', { user: bob.id }, 201)).params.conv as string;
      await must(alice.client, 'dm', { conv: dm, favorite: true });
      const hello = await say(bob, dm, 'hello');
      const edited = await say(alice, dm, 'original');
      await must(alice.client, 'edit', { conv: dm, seq: edited, content: { v: 1, text: 'edited' } });
      const unsent = await say(bob, dm, 'taken back');
      await must(bob.client, 'unsend', { conv: dm, seq: unsent });
      const gone = await say(bob, dm, 'deleted for everyone');
      await must(bob.client, 'delete', { conv: dm, seq: gone, forEveryone: true });
      const hidden = await say(bob, dm, 'hidden for alice');
      await must(alice.client, 'delete', { conv: dm, seq: hidden });
      const once = await say(bob, dm, 'look once', { viewOnce: true });
      await must(alice.client, 'read', { conv: dm, seq: once });
      // A disappearing DM: the message she read has run out; the one she has not read is still there.
      const fading = (await must(carol.client, 'dm', { user: alice.id }, 201)).params.conv as string;
      await must(carol.client, 'dm', { conv: fading, disappearingTTL: 60 });
      const faded = await say(carol, fading, 'read and faded');
      await must(alice.client, 'read', { conv: fading, seq: faded });
      const unreadFading = await say(carol, fading, 'not read yet');
      await s.app.deps.stores.db.kysely
        .updateTable('message_reads')
        .set({ expires_at: new Date(Date.now() - 1000) })
        .where('user_id', '=', alice.id)
        .where('expires_at', 'is not', null)
        .execute();
      const file = (await upload(s, alice.token, Buffer.from('a photo of the door'), { name: 'door.bin' })).json!;
      assert.equal(await waitProcessed(s, alice.token, file.id), 200);
      const withFile = (await must(alice.client, 'send', { conv: dm, content: mediaMessage(file.id, file.mime, file.size) }, 202)).params.seq as number;
      const unreadOnce = await say(bob, dm, 'not opened yet', { viewOnce: true });

      const room = (await must(alice.client, 'room', { id: 'new', action: 'create', desc: { public: { fn: 'Evidence room' } } }, 201)).params.conv as string;
      await must(alice.client, 'room', { id: room, action: 'invite', user: carol.id });
      const inRoom = await say(carol, room, 'in the room');
      await say(alice, room, 'reply in the room');
      // Conversations she is not in, or left, are not hers to export.
      const other = (await must(bob.client, 'dm', { user: carol.id }, 201)).params.conv as string;
      await say(bob, other, 'not for alice');
      const leftRoom = (await must(carol.client, 'room', { id: 'new', action: 'create', desc: { public: { fn: 'Left' } } }, 201)).params.conv as string;
      await must(carol.client, 'room', { id: leftRoom, action: 'invite', user: alice.id });
      await must(alice.client, 'room', { id: leftRoom, action: 'leave' });

      const r = await exportOf(s, alice.token);
      assert.equal(r.status, 200, r.text);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(r.headers.get('cache-control'), 'no-store');
      assert.match(r.headers.get('content-disposition') ?? '', /^attachment; filename="mvchat-export-\d{4}-\d\d-\d\d\.json"$/);
      const x = r.json;
      assert.equal(x.complete, true);
      assert.equal(Object.keys(x).at(-1), 'complete', 'the completion marker is the last field');
      assert.equal(x.format, 'mvchat-export');
      assert.equal(x.version, 1);
      assert.deepEqual(x.account, {
        id: alice.id,
        login: 'alice_export',
        state: 'ok',
        public: { fn: 'Alice' },
        private: { note: 'mine only' },
        email: null,
        emailVerified: x.account.emailVerified,
        lang: 'en',
        lastSeen: x.account.lastSeen,
      });
      // Where she is signed in: the one session of her sign-up login, with its address masked.
      assert.deepEqual(
        x.sessions.map((v: { ip: string }) => v.ip),
        ['127.0.0.x'],
      );
      assert.deepEqual(
        x.contacts.map((c: Record<string, unknown>) => [c.user, c.nickname, c.public]),
        [[bob.id, 'B.', { fn: 'Bob' }]],
      );

      assert.deepEqual(x.conversations.map((c: { id: string }) => c.id).sort(), [dm, room, fading].sort());
      const fadingOut = x.conversations.find((c: { id: string }) => c.id === fading);
      assert.equal(fadingOut.disappearingTTL, 60);
      assert.deepEqual(
        (fadingOut.messages as Exported[]).map((m) => [m.seq, m.content?.text]),
        [[unreadFading, 'not read yet']],
        'disappearing means disappearing',
      );
      assert.ok(!r.text.includes('read and faded'));
      const dmOut = x.conversations.find((c: { id: string }) => c.id === dm);
      assert.equal(dmOut.type, 'dm');
      assert.equal(dmOut.name, 'Bob');
      assert.equal(dmOut.peer, bob.id);
      assert.equal(dmOut.settings.favorite, true);
      assert.deepEqual(
        dmOut.members.map((m: { id: string; public: unknown }) => [m.id, m.public]).sort(),
        [
          [alice.id, { fn: 'Alice' }],
          [bob.id, { fn: 'Bob' }],
        ].sort(),
      );
      const msgs = dmOut.messages as Exported[];
      assert.deepEqual(
        msgs.map((m) => m.seq),
        [hello, edited, unsent, gone, withFile, unreadOnce],
        'hidden-for-me and the expired view-once are not there; oldest first',
      );
      const bySeq = new Map(msgs.map((m) => [m.seq, m]));
      assert.deepEqual(bySeq.get(hello)!.content, { v: 1, text: 'hello' });
      assert.equal(bySeq.get(hello)!.from, bob.id);
      assert.equal(bySeq.get(hello)!.fromName, 'Bob');
      assert.match(bySeq.get(hello)!.ts, /^\d{4}-\d\d-\d\dT.*Z$/);
      assert.equal(bySeq.get(edited)!.content!.text, 'edited');
      assert.equal(typeof bySeq.get(edited)!.head!.edited_at, 'string');
      for (const seq of [unsent, gone]) {
        assert.equal(bySeq.get(seq)!.deleted, true);
        assert.equal(bySeq.get(seq)!.content, undefined, 'no content for a message deleted for everyone');
      }
      assert.equal(bySeq.get(unsent)!.head!.unsent, true);
      assert.equal(bySeq.get(unreadOnce)!.viewOnce, true);
      assert.equal(bySeq.get(unreadOnce)!.content!.text, 'not opened yet');
      assert.deepEqual(bySeq.get(withFile)!.files, [{ id: file.id, path: `/v0/file/${file.id}` }]);
      assert.ok(!r.text.includes('hidden for alice') && !r.text.includes('look once') && !r.text.includes('not for alice'));
      assert.ok(!r.text.includes('taken back') && !r.text.includes('deleted for everyone'));

      const roomOut = x.conversations.find((c: { id: string }) => c.id === room);
      assert.equal(roomOut.type, 'room');
      assert.equal(roomOut.name, 'Evidence room');
      assert.deepEqual(
        roomOut.members.map((m: { id: string; role: string }) => [m.id, m.role]),
        [
          [alice.id, 'owner'],
          [carol.id, 'member'],
        ],
      );
      assert.deepEqual(
        (roomOut.messages as Exported[]).map((m) => [m.seq, m.fromName, m.content?.text]),
        [
          [inRoom, 'Carol', 'in the room'],
          [inRoom + 1, 'Alice', 'reply in the room'],
        ],
      );

      assert.equal(x.files.length, 1);
      assert.deepEqual(
        { ...x.files[0], uploadedAt: undefined },
        {
          id: file.id,
          name: 'door.bin',
          mime: file.mime,
          size: file.size,
          uploadedAt: undefined,
          status: 'ready',
          path: `/v0/file/${file.id}`,
          thumbPath: `/v0/file/${file.id}/thumb`,
        },
      );
      const fetched = await download(s, alice.token, x.files[0].id);
      assert.deepEqual([fetched.status, fetched.text], [200, 'a photo of the door']);

      // Bob's export is his view: the message Alice hid is his to keep, the file he can read is listed on its message.
      const b = await exportOf(s, bob.token);
      assert.equal(b.status, 200);
      const bobDm = b.json.conversations.find((c: { id: string }) => c.id === dm);
      assert.ok((bobDm.messages as Exported[]).some((m) => m.seq === hidden && m.content?.text === 'hidden for alice'));
      assert.deepEqual(b.json.files, [], 'files he did not upload are listed on their messages, not as his');
      assert.deepEqual((bobDm.messages as Exported[]).find((m) => m.seq === withFile)!.files, [{ id: file.id, path: `/v0/file/${file.id}` }]);
      for (const u of [alice, bob, carol]) u.client.close();
    }));

  test(`[${backend}] export: also under /v0/ws and /v0/channels; history is read page by page`, () =>
    withServer(
      backend,
      async (s) => {
        const alice = await s.user();
        const bob = await s.user();
        const dm = (await must(alice.client, 'dm', { user: bob.id }, 201)).params.conv as string;
        const count = EXPORT_PAGE * 2 + 7;
        for (let i = 0; i < count; i += 20) {
          const batch = Array.from({ length: Math.min(20, count - i) }, (_, k) => say(alice, dm, `n${i + k}`));
          await Promise.all(batch);
        }
        const history = s.app.deps.stores.history;
        const page = history.page.bind(history);
        const limits: number[] = [];
        history.page = (q) => {
          limits.push(q.limit);
          return page(q);
        };
        try {
          for (const prefix of ['', '/v0/ws', '/v0/channels']) {
            limits.length = 0;
            const r = await exportOf(s, alice.token, undefined, prefix);
            assert.equal(r.status, 200, `${prefix}: ${r.text}`);
            const texts = (r.json.conversations[0].messages as Exported[]).map((m) => m.content!.text);
            assert.deepEqual(
              texts,
              Array.from({ length: count }, (_, i) => `n${i}`),
            );
            assert.deepEqual(limits, [EXPORT_PAGE, EXPORT_PAGE, EXPORT_PAGE], 'three pages, never the whole history at once');
          }
        } finally {
          history.page = page;
        }
        alice.client.close();
        bob.client.close();
      },
      { frameRate: 1000 },
    ));

  test(`[${backend}] export: a store failure after the 200 aborts the response; the JSON is cut and has no completion marker`, () =>
    withServer(backend, async (s) => {
      const alice = await s.user();
      const bob = await s.user();
      const dm = (await must(alice.client, 'dm', { user: bob.id }, 201)).params.conv as string;
      await say(alice, dm, 'first');
      const history = s.app.deps.stores.history;
      const page = history.page.bind(history);
      history.page = async () => {
        throw new Error('database went away');
      };
      try {
        const res = await fetch(`${s.httpUrl}/v0/account/export`, {
          method: 'POST',
          headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ password: PASSWORD }),
        });
        assert.equal(res.status, 200, 'the head of the export was already sent');
        let text = '';
        let broken = false;
        try {
          text = await res.text();
        } catch {
          broken = true;
        }
        assert.ok(broken, `the transfer must fail, not end cleanly (got ${JSON.stringify(text.slice(-80))})`);
      } finally {
        history.page = page;
      }
      // The server is fine afterwards and the next export is whole.
      const again = await exportOf(s, alice.token);
      assert.equal(again.status, 200);
      assert.equal(again.json.complete, true);
      alice.client.close();
      bob.client.close();
    }));

  test(`[${backend}] export: no token, a void or revoked token → 401; a wrong password → 403`, () =>
    withServer(backend, async (s) => {
      const alice = await s.user();
      const none = await exportOf(s, null);
      assert.deepEqual([none.status, none.text], [401, 'unauthorized\n']);
      assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
      assert.equal((await exportOf(s, 'not-a-token')).status, 401);
      assert.equal((await exportOf(s, `${alice.token}x`)).status, 401);
      // A token in the query string is not accepted here: only the header.
      const query = await fetch(`${s.httpUrl}/v0/account/export?token=${encodeURIComponent(alice.token)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ password: PASSWORD }),
      });
      assert.equal(query.status, 401);
      const wrong = await exportOf(s, alice.token, { password: 'not her password' });
      assert.deepEqual([wrong.status, wrong.text], [403, 'incorrect password\n']);
      assert.ok(!wrong.text.includes(alice.id));
      // After a password change the old token is void, even with the new password.
      await must(alice.client, 'acc', { user: 'me', secret: basic(PASSWORD, 'a-new-password') });
      const revoked = await exportOf(s, alice.token, { password: 'a-new-password' });
      assert.equal(revoked.status, 401);
      alice.client.close();
    }));

  test(`[${backend}] export: bad bodies get a clear 4xx and nothing is exported`, () =>
    withServer(backend, async (s) => {
      const alice = await s.user();
      const post = async (headers: Record<string, string>, body?: string) => {
        const res = await fetch(`${s.httpUrl}/v0/account/export`, {
          method: 'POST',
          headers: { authorization: `Bearer ${alice.token}`, ...headers },
          ...(body === undefined ? {} : { body }),
        });
        return [res.status, (await res.text()).trim()];
      };
      const json = { 'content-type': 'application/json' };
      assert.deepEqual(await post({}), [415, 'content type must be application/json']);
      assert.deepEqual(await post(json), [400, 'missing body']);
      assert.deepEqual(await post({ 'content-type': 'text/plain' }, JSON.stringify({ password: PASSWORD })), [415, 'content type must be application/json']);
      assert.deepEqual(await post({ 'content-type': 'application/x-www-form-urlencoded' }, `password=${PASSWORD}`), [
        415,
        'content type must be application/json',
      ]);
      assert.deepEqual(await post(json, '{"password":'), [400, 'invalid JSON']);
      assert.deepEqual(await post(json, '[]'), [400, 'body must be a JSON object']);
      assert.deepEqual(await post(json, '"x"'), [400, 'body must be a JSON object']);
      assert.deepEqual(await post(json, '{}'), [400, 'missing password']);
      assert.deepEqual(await post(json, '{"__proto__":{"password":"x"}}'), [400, 'missing password']);
      for (const v of [1, null, true, [PASSWORD], { p: PASSWORD }, '']) {
        assert.deepEqual(await post(json, JSON.stringify({ password: v })), [400, 'password must be a non-empty string'], JSON.stringify(v));
      }
      assert.deepEqual(await post(json, JSON.stringify({ password: 'x'.repeat(2000) })), [400, 'password too long']);
      const [big] = await post(json, JSON.stringify({ password: 'x'.repeat(100_000) }));
      assert.equal(big, 413);
      assert.deepEqual(
        await post({ 'content-type': 'application/json; charset=utf-8' }, JSON.stringify({ password: PASSWORD, extra: 1 })).then((r) => r[0]),
        200,
      );
      for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
        const res = await fetch(`${s.httpUrl}/v0/account/export`, { method, headers: { authorization: `Bearer ${alice.token}` } });
        assert.deepEqual([res.status, res.headers.get('allow')], [405, 'POST, OPTIONS'], method);
      }
      alice.client.close();
    }));

  test(`[${backend}] export: wrong passwords are limited like logins, by her login name`, async () => {
    const s = await startServer(backend, { authLimit: 3 });
    try {
      const alice = await s.user('alice_limited');
      for (let i = 0; i < 3; i++) assert.equal((await exportOf(s, alice.token, { password: `guess-${i}` })).status, 403);
      const limited = await exportOf(s, alice.token);
      assert.deepEqual([limited.status, limited.text], [429, 'too many attempts\n'], 'even the right password, once over the limit');
      assert.equal(limited.headers.get('retry-after'), '60');
      // The same budget as the login: a login with her name is refused too.
      const c = await s.connect();
      const login = await c.request('login', { scheme: 'basic', secret: basic('alice_limited', PASSWORD) });
      assert.deepEqual([login.code, login.text], [429, 'too many attempts']);
      c.close();
      // Another account is not held back.
      const bob = await s.user('bob_limited');
      assert.equal((await exportOf(s, bob.token)).status, 200);
      alice.client.close();
      bob.client.close();
    } finally {
      await s.close();
    }
  });
}

for (const backend of backends()) {
  test(`[${backend}] export: her other sessions that asked for notices are told, and the export lists where she is signed in`, async () => {
    await withServer(backend, async (s) => {
      const u = await s.user();
      const watcher = await s.connect();
      assert.equal((await watcher.request('hi', { ver: '0.1.0', notices: true, ua: 'Phone/2' })).code, 200);
      const second = await watcher.request('login', { scheme: 'basic', secret: basic(u.name, PASSWORD) });
      assert.equal(second.code, 200);
      const r = await exportOf(s, u.token);
      assert.equal(r.status, 200);
      const notice = await watcher.waitFor((f) => f.notice?.what === 'export');
      assert.equal(typeof notice.notice.ts, 'string');
      const sessions = r.json.sessions as { id: string; ua: string; ip: string }[];
      assert.ok(
        sessions.some((x) => x.id === second.params.session && x.ua === 'Phone/2'),
        JSON.stringify(sessions),
      );
      for (const x of sessions) assert.match(x.ip, /x$/, 'only masked addresses');
      assert.equal(u.client.frames.filter((f) => f.notice).length, 0, 'a session that did not ask for notices sees none');
    });
  });
}
