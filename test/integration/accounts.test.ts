import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { backends, startServer, PASSWORD } from '../helpers/server.js';
import { basic } from '../helpers/client.js';

const codeText = (r: Record<string, any>) => [r.code, r.text];

for (const backend of backends()) {
  test(`[${backend}] sign-up: every error of §3.3.1, atomic and unique`, async () => {
    const s = await startServer(backend, { frameRate: 1000 });
    try {
      const c = await s.connect();
      const acc = (body: object) => c.request('acc', { user: 'new', ...body });
      assert.deepEqual(codeText(await c.request('acc', { user: 'someone' })), [401, 'authentication required']);
      assert.deepEqual(codeText(await acc({ scheme: 'token', secret: basic('dana', PASSWORD) })), [400, 'only basic auth supported for account creation']);
      assert.deepEqual(codeText(await acc({ scheme: 'basic', secret: 'not base64!' })), [400, 'invalid secret encoding']);
      assert.deepEqual(codeText(await acc({ scheme: 'basic', secret: 'ZGFuYQ' })), [400, 'invalid secret encoding']);
      assert.deepEqual(codeText(await acc({ scheme: 'basic', secret: Buffer.from('nocolon').toString('base64') })), [400, 'invalid secret format']);
      assert.deepEqual(codeText(await acc({ scheme: 'basic', secret: basic('abc', PASSWORD) })), [400, 'username too short']);
      assert.deepEqual(codeText(await acc({ scheme: 'basic', secret: basic('x'.repeat(65), PASSWORD) })), [400, 'username too long']);
      assert.deepEqual(codeText(await acc({ scheme: 'basic', secret: basic('danaa', '12345') })), [400, 'password too short']);
      const ok = await acc({ scheme: 'basic', secret: basic('dana', 'hunter22'), desc: { public: { fn: 'Dana' } } });
      assert.equal(ok.code, 201);
      assert.deepEqual(Object.keys(ok.params).sort(), ['desc', 'emailVerified', 'user']);
      assert.deepEqual(ok.params.desc, { public: { fn: 'Dana' } });
      assert.deepEqual(codeText(await acc({ scheme: 'basic', secret: basic('dana', 'other-pass') })), [409, 'username already taken']);
      // Usernames keep their colon rule: the password may hold colons.
      const colon = await acc({ scheme: 'basic', secret: basic('eli_', 'pa:ss:word'), login: true });
      assert.equal(colon.code, 201);
      assert.ok(colon.params.token);
      // Many sign-ups with one name at the same moment: exactly one account.
      const racers = await Promise.all(Array.from({ length: 6 }, () => s.connect()));
      const results = await Promise.all(racers.map((r) => r.request('acc', { user: 'new', scheme: 'basic', secret: basic('racer', PASSWORD) })));
      assert.deepEqual(results.map((r) => r.code).sort(), [201, 409, 409, 409, 409, 409]);
      const db = s.app.deps.stores.db.kysely;
      const auths = await db.selectFrom('auth').select('user_id').where('uname', '=', 'racer').execute();
      assert.equal(auths.length, 1);
      const users = await db.selectFrom('users').select('id').execute();
      assert.equal(users.length, 3, 'no orphan user rows (§12 item 13)');
      for (const r of racers) r.close();
      c.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] login: basic and token flows with every error of §3.2`, async () => {
    const s = await startServer(backend, { frameRate: 1000 });
    try {
      const u = await s.user('frank', { fn: 'Frank' });
      const c = await s.connect();
      const login = (scheme: string, secret: string) => c.request('login', { scheme, secret });
      assert.deepEqual(codeText(await login('basic', '%%%')), [400, 'invalid secret encoding']);
      assert.deepEqual(codeText(await login('basic', Buffer.from('frank').toString('base64'))), [400, 'invalid secret format']);
      assert.deepEqual(codeText(await login('basic', basic('nobody', PASSWORD))), [401, 'invalid credentials']);
      assert.deepEqual(codeText(await login('basic', basic('frank', 'wrong-pass'))), [401, 'invalid credentials']);
      assert.deepEqual(codeText(await login('magic', 'x')), [400, 'unknown auth scheme']);
      assert.deepEqual(codeText(await login('token', 'not-a-jwt')), [401, 'invalid token']);
      const key = s.config.tokenKey;
      const now = Math.floor(Date.now() / 1000);
      const expired = await new SignJWT({ uid: u.id })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt(now - 100)
        .setExpirationTime(now - 10)
        .sign(key);
      assert.deepEqual(codeText(await login('token', expired)), [401, 'token expired']);
      const hs512 = await new SignJWT({ uid: u.id })
        .setProtectedHeader({ alg: 'HS512' })
        .setIssuedAt(now)
        .setExpirationTime(now + 100)
        .sign(key);
      assert.deepEqual(codeText(await login('token', hs512)), [401, 'invalid token']);
      const ghost = await new SignJWT({ uid: '3f1c2b7e-8a41-4d8e-9b0c-5e2f7a6d1c90' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt(now)
        .setExpirationTime(now + 100)
        .sign(key);
      assert.deepEqual(codeText(await login('token', ghost)), [401, 'user not found']);

      const ok = await login('basic', basic('frank', PASSWORD));
      assert.equal(ok.code, 200);
      assert.equal(ok.params.user, u.id);
      assert.deepEqual(ok.params.desc, { public: { fn: 'Frank' } });
      assert.equal(ok.params.emailVerified, true);
      assert.ok(Date.parse(ok.params.expires) > Date.now() + 13 * 86400_000);
      const renewed = await login('token', ok.params.token);
      assert.equal(renewed.code, 200);
      assert.equal(renewed.params.user, u.id);

      // Suspended accounts are refused (§12 item 15).
      const db = s.app.deps.stores.db.kysely;
      await db.updateTable('users').set({ state: 'suspended' }).where('id', '=', u.id).execute();
      assert.deepEqual(codeText(await login('basic', basic('frank', PASSWORD))), [403, 'account suspended']);
      assert.deepEqual(codeText(await login('token', u.token)), [403, 'account suspended']);
      await db.updateTable('users').set({ state: 'deleted' }).where('id', '=', u.id).execute();
      assert.deepEqual(codeText(await login('basic', basic('frank', PASSWORD))), [500, 'user not found']);
      assert.deepEqual(codeText(await login('token', u.token)), [401, 'user not found']);
      u.client.close();
      c.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] acc me: profile, password (old tokens stop working), email, lang`, async () => {
    const s = await startServer(backend, { frameRate: 1000 });
    try {
      const u = await s.user('gina', { fn: 'Gina' });
      const other = await s.user('hank');
      const me = (body: object) => u.client.request('acc', { user: 'me', ...body });
      assert.deepEqual(codeText(await me({ secret: basic('wrong-old', 'new-password') })), [403, 'incorrect current password']);
      assert.deepEqual(codeText(await me({ secret: basic(PASSWORD, 'short') })), [400, 'new password too short']);
      assert.deepEqual(codeText(await me({ secret: 'x' })), [400, 'invalid secret encoding']);
      assert.deepEqual(codeText(await me({ lang: 'x'.repeat(11) })), [400, 'invalid language']);
      assert.deepEqual(codeText(await me({ email: 'not an address' })), [400, 'invalid email address']);
      assert.deepEqual(codeText(await other.client.request('acc', { user: 'me', email: 'shared@example.org' })), [200, 'ok']);
      // An address typed by another account is unverified and holds no slot: the answer never says whether it is in use.
      const shared = await me({ email: 'shared@example.org' });
      assert.deepEqual([...codeText(shared), shared.params.emailVerified], [200, 'ok', false]);
      // Nothing of a failed request was applied.
      assert.deepEqual(codeText(await me({ desc: { public: { fn: 'Changed' } }, email: 'not an address' })), [400, 'invalid email address']);
      assert.deepEqual((await u.client.request('get', { what: 'user', user: u.id })).params.user.public, { fn: 'Gina' });
      const r = await me({ desc: { public: { fn: 'Gina G' } }, secret: basic(PASSWORD, 'brand-new-pass'), email: 'gina@example.org', lang: 'de' });
      assert.equal(r.code, 200);
      assert.deepEqual(
        { ...r.params, token: undefined, expires: undefined },
        { public: { fn: 'Gina G' }, passwordChanged: true, email: 'gina@example.org', emailVerified: false, lang: 'de', token: undefined, expires: undefined },
      );
      const c = await s.connect();
      assert.deepEqual(codeText(await c.request('login', { scheme: 'token', secret: u.token })), [401, 'invalid token']);
      assert.equal((await c.request('login', { scheme: 'token', secret: r.params.token })).code, 200);
      const l = await c.request('login', { scheme: 'basic', secret: basic('gina', 'brand-new-pass') });
      assert.equal(l.params.lang, 'de');
      assert.deepEqual(l.params.desc, { public: { fn: 'Gina G' } });
      assert.deepEqual(codeText(await me({})), [200, 'ok']);
      assert.equal((await me({})).params, undefined);
      for (const x of [u.client, other.client, c]) x.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] search: literal, case-insensitive, requester excluded before the limit`, async () => {
    const s = await startServer(backend, { frameRate: 1000 });
    try {
      const me = await s.user('searcher', { fn: 'Anna Searcher' });
      await s.user('anna2', { fn: 'anna_b' });
      await s.user('anna3', { fn: 'ANNA C' });
      await s.user('percent', { fn: '100% Anna' });
      await s.user('other9', { fn: 'Bob' });
      const q = (query: string, limit?: number) => me.client.request('search', { query, ...(limit ? { limit } : {}) });
      assert.deepEqual(codeText(await q('')), [400, 'missing search query']);
      const all = await q('anna');
      assert.deepEqual(
        all.params.users.map((u: any) => u.public.fn),
        ['100% Anna', 'ANNA C', 'anna_b'],
      );
      const first = all.params.users[0];
      assert.deepEqual(Object.keys(first).sort(), ['id', 'lastSeen', 'online', 'public']);
      assert.equal((await q('anna', 2)).params.users.length, 2);
      assert.deepEqual(
        (await q('%')).params.users.map((u: any) => u.public.fn),
        ['100% Anna'],
      );
      assert.deepEqual(
        (await q('a_b')).params.users.map((u: any) => u.public.fn),
        ['anna_b'],
      );
      const big = await me.client.request('search', { query: 'a', limit: 2 ** 63 });
      assert.deepEqual(codeText(big), [400, 'malformed message']);
      me.client.close();
    } finally {
      await s.close();
    }
  });
}
