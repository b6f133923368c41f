import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basic, type TestClient } from '../helpers/client.js';
import { backends, PASSWORD, withServer, type TestServer } from '../helpers/server.js';
import { suspendAccount } from '../../src/domain/sessions.js';

async function passwordLogin(s: TestServer, name: string, hi: Record<string, unknown> = {}): Promise<{ client: TestClient; session: string; token: string }> {
  const client = await s.connect();
  if (Object.keys(hi).length > 0) assert.equal((await client.request('hi', { ver: '0.1.0', ...hi })).code, 200);
  const r = await client.request('login', { scheme: 'basic', secret: basic(name, PASSWORD) });
  assert.equal(r.code, 200, JSON.stringify(r));
  return { client, session: r.params.session, token: r.params.token };
}

async function tokenLogin(s: TestServer, token: string): Promise<{ client: TestClient; reply: Record<string, any> }> {
  const client = await s.connect();
  const reply = await client.request('login', { scheme: 'token', secret: token });
  return { client, reply };
}

/** Resolves with the close code, or fails after `ms`. */
async function closedWithin(c: TestClient, ms: number): Promise<number> {
  const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`socket not closed within ${ms} ms`)), ms));
  return (await Promise.race([c.closed, timer])).code;
}

async function download(s: TestServer, token: string): Promise<number> {
  const res = await fetch(`${s.httpUrl}/v0/file/00000000-0000-4000-8000-000000000000`, { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return res.status;
}

for (const backend of backends()) {
  test(`[${backend}] sessions: login replies carry the session; a token login continues it; get sessions lists them masked`, async () => {
    await withServer(backend, async (s) => {
      const u = await s.user();
      const hi = await u.client.request('hi', { ver: '0.1.0' });
      const first = (await u.client.request('get', { what: 'sessions' })).params.sessions;
      assert.equal(first.length, 1);
      assert.notEqual(first[0].id, hi.params.sid, 'the session id is not the socket id');
      const phone = await passwordLogin(s, u.name, { ua: 'Phone/1.0', dev: 'dev-1', lang: 'de' });
      assert.notEqual(phone.session, first[0].id);
      const again = await tokenLogin(s, phone.token);
      assert.equal(again.reply.code, 200);
      assert.equal(again.reply.params.session, phone.session, 'a token login continues its session');
      const list = (await again.client.request('get', { what: 'sessions' })).params.sessions as Record<string, unknown>[];
      assert.equal(list.length, 2);
      const mine = list.find((x) => x.id === phone.session)!;
      assert.equal(mine.current, true);
      assert.equal(mine.online, true);
      assert.equal(mine.ua, 'Phone/1.0');
      assert.equal(mine.deviceId, 'dev-1');
      assert.equal(mine.lang, 'de');
      assert.equal(mine.ip, '127.0.0.x');
      assert.equal(typeof mine.createdAt, 'string');
      assert.equal(typeof mine.lastActive, 'string');
      assert.equal(list.find((x) => x.id === first[0].id)!.current, false);
      assert.deepEqual(Object.keys(mine).sort(), ['createdAt', 'current', 'deviceId', 'id', 'ip', 'lang', 'lastActive', 'online', 'ua']);
      const rows = await s.app.deps.stores.db.kysely.selectFrom('sessions').select('ip').execute();
      assert.ok(
        rows.every((r) => r.ip === '127.0.0.x'),
        'only the masked address is stored',
      );
    });
  });

  test(`[${backend}] logout {} ends the current session: signed out, socket open, tokens void, its other sockets closed`, async () => {
    await withServer(backend, async (s) => {
      const u = await s.user();
      const other = await tokenLogin(s, u.token);
      assert.equal(other.reply.code, 200);
      const r = await u.client.request('logout', {});
      assert.equal(r.code, 200);
      assert.equal(await closedWithin(other.client, 2000), 4010, 'another socket of the same session closes');
      assert.deepEqual([(await u.client.request('get', { what: 'conversations' })).code], [401], 'signed out');
      assert.equal((await u.client.request('hi', { ver: '0.1.0' })).code, 200, 'the socket stays open');
      assert.equal((await tokenLogin(s, u.token)).reply.code, 401);
      assert.equal(await download(s, u.token), 401, 'file downloads refuse its token too');
      // Signing in again on the same socket works.
      assert.equal((await u.client.request('login', { scheme: 'basic', secret: basic(u.name, PASSWORD) })).code, 200);
    });
  });

  test(`[${backend}] logout {} restarts the sign-in timeout`, async () => {
    await withServer(
      backend,
      async (s) => {
        const u = await s.user();
        assert.equal((await u.client.request('logout', {})).code, 200);
        assert.equal(await closedWithin(u.client, 3000), 4001);
      },
      { authTimeout: 0.5 },
    );
  });

  test(`[${backend}] logout {session} closes that session's sockets with 4010, voids its tokens, and it gets no more messages`, async () => {
    await withServer(backend, async (s) => {
      const u = await s.user();
      const friend = await s.user();
      const dm = (await friend.client.request('dm', { user: u.id })).params.conv;
      const laptop = await passwordLogin(s, u.name);
      assert.equal((await u.client.request('logout', { session: friend.id })).code, 404, 'an id that is not one of hers');
      const theirs = (await friend.client.request('get', { what: 'sessions' })).params.sessions[0].id;
      assert.deepEqual(
        [(await u.client.request('logout', { session: theirs })).code, (await u.client.request('logout', { session: theirs })).text],
        [404, 'session not found'],
      );
      assert.equal((await u.client.request('logout', { session: laptop.session })).code, 200);
      assert.equal(await closedWithin(laptop.client, 2000), 4010);
      const before = laptop.client.frames.length;
      assert.equal((await friend.client.request('send', { conv: dm, content: { v: 1, text: 'after' } })).code, 202);
      await u.client.waitFor((f) => f.data?.content?.text === 'after');
      assert.equal(laptop.client.frames.length, before, 'nothing reaches the ended socket');
      assert.equal((await tokenLogin(s, laptop.token)).reply.code, 401);
      assert.equal(await download(s, laptop.token), 401);
      assert.equal((await u.client.request('logout', { session: laptop.session })).code, 404, 'already ended');
      assert.equal((await tokenLogin(s, u.token)).reply.code, 200, 'her own session goes on');
    });
  });

  test(`[${backend}] logout {others} ends every other session and tokens naming no session issued before it`, async () => {
    await withServer(backend, async (s) => {
      const u = await s.user();
      const a = await passwordLogin(s, u.name);
      const b = await passwordLogin(s, u.name);
      const old = (await s.app.deps.tokens.issue(u.id, 0)).token;
      assert.equal((await u.client.request('logout', { others: true })).code, 200);
      assert.deepEqual(await Promise.all([closedWithin(a.client, 2000), closedWithin(b.client, 2000)]), [4010, 4010]);
      for (const t of [a.token, b.token, old]) assert.equal((await tokenLogin(s, t)).reply.code, 401);
      const list = (await u.client.request('get', { what: 'sessions' })).params.sessions;
      assert.equal(list.length, 1);
      assert.equal(list[0].current, true);
    });
  });

  test(`[${backend}] a token naming no session starts one at its first login and continues it after`, async () => {
    await withServer(backend, async (s) => {
      const u = await s.user();
      const legacy = (await s.app.deps.tokens.issue(u.id, 0)).token;
      const one = await tokenLogin(s, legacy);
      const two = await tokenLogin(s, legacy);
      assert.equal(one.reply.code, 200);
      assert.equal(two.reply.params.session, one.reply.params.session);
      assert.equal((await u.client.request('logout', { session: one.reply.params.session })).code, 200);
      assert.equal(await closedWithin(two.client, 2000), 4010);
      assert.equal((await tokenLogin(s, legacy)).reply.code, 401, 'its session ended: it does not start another');
    });
  });

  test(`[${backend}] a password change ends the other sessions; the changer continues with the fresh token`, async () => {
    await withServer(backend, async (s) => {
      const u = await s.user();
      const other = await passwordLogin(s, u.name);
      const sameSession = await tokenLogin(s, u.token);
      const r = await u.client.request('acc', { user: 'me', secret: basic(PASSWORD, 'new-secret-pass') });
      assert.equal(r.code, 200);
      assert.equal(await closedWithin(other.client, 2000), 4010);
      const fresh = await tokenLogin(s, r.params.token);
      assert.equal(fresh.reply.code, 200);
      assert.equal(fresh.reply.params.session, (await u.client.request('get', { what: 'sessions' })).params.sessions[0].id);
      assert.equal((await tokenLogin(s, other.token)).reply.code, 401);
      assert.equal((await tokenLogin(s, u.token)).reply.code, 401);
      assert.equal((await sameSession.client.request('get', { what: 'conversations' })).code, 200, 'sockets of her own session stay');
    });
  });

  test(`[${backend}] a suspension ends every session with 4011 and its tokens are refused`, async () => {
    await withServer(backend, async (s) => {
      const u = await s.user();
      const other = await passwordLogin(s, u.name);
      assert.equal(await suspendAccount(s.app.deps, u.id), true);
      assert.deepEqual(await Promise.all([closedWithin(u.client, 2000), closedWithin(other.client, 2000)]), [4011, 4011]);
      assert.equal((await tokenLogin(s, other.token)).reply.code, 403);
      assert.equal(await download(s, u.token), 401);
    });
  });

  test(`[${backend}] sessions end at their absolute lifetime and past the per-user bound`, async () => {
    await withServer(
      backend,
      async (s) => {
        const u = await s.user();
        const second = await passwordLogin(s, u.name);
        const third = await passwordLogin(s, u.name);
        assert.equal(await closedWithin(u.client, 2000), 4010, 'the oldest ends');
        assert.equal((await tokenLogin(s, u.token)).reply.code, 401);
        await s.app.deps.stores.db.kysely
          .updateTable('sessions')
          .set({ created_at: new Date(Date.now() - 91 * 86_400_000) })
          .where('id', '=', second.session)
          .execute();
        const expired = await tokenLogin(s, second.token);
        assert.deepEqual([expired.reply.code, expired.reply.text], [401, 'token expired']);
        assert.equal((await tokenLogin(s, third.token)).reply.code, 200);
      },
      { maxSessions: 2 },
    );
  });

  test(`[${backend}] a socket signed in past its session's absolute lifetime is closed with 4010`, async () => {
    await withServer(
      backend,
      async (s) => {
        const u = await s.user();
        assert.equal(await closedWithin(u.client, 4000), 4010);
        const late = await tokenLogin(s, u.token);
        assert.equal(late.reply.code, 401);
      },
      { sessionLifetime: 1, heartbeatInterval: 0.3 },
    );
  });

  test(`[${backend}] a new password session is announced to her other sessions that asked for notices`, async () => {
    await withServer(backend, async (s) => {
      const u = await s.user();
      const asks = await passwordLogin(s, u.name, { notices: true });
      const plain = await passwordLogin(s, u.name, { ua: 'Plain/1' });
      const notice = await asks.client.waitFor((f) => f.notice?.what === 'new_session');
      assert.equal(notice.notice.session.id, plain.session);
      assert.equal(notice.notice.session.ua, 'Plain/1');
      assert.equal(typeof notice.notice.ts, 'string');
      await tokenLogin(s, plain.token);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(asks.client.frames.filter((f) => f.notice).length, 1, 'a token login is no new session');
      assert.equal(
        plain.client.frames.filter((f) => f.notice).length + u.client.frames.filter((f) => f.notice).length,
        0,
        'clients that did not ask see nothing',
      );
    });
  });
}
