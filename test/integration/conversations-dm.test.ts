import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startServer, backends } from '../helpers/server.js';
import type { Frame } from '../helpers/client.js';

for (const backend of backends()) {
  test(`[${backend}] dm start: created once, then fetched, with the peer's summary`, async () => {
    const s = await startServer(backend);
    try {
      const dana = await s.user('dana', { fn: 'Dana' });
      const eli = await s.user('elias', { fn: 'Eli' });
      const first = await dana.client.request('dm', { user: eli.id });
      assert.equal(first.code, 201);
      assert.equal(first.text, 'ok');
      assert.equal(first.params.created, true);
      assert.match(first.params.conv, /^[0-9a-f-]{36}$/);
      assert.equal(first.params.user.id, eli.id);
      assert.deepEqual(first.params.user.public, { fn: 'Eli' });
      assert.equal(first.params.user.online, true);
      assert.equal(typeof first.params.user.lastSeen, 'string');

      const again = await dana.client.request('dm', { user: eli.id.toUpperCase() });
      assert.equal(again.code, 200);
      assert.equal(again.params.created, false);
      assert.equal(again.params.conv, first.params.conv);

      const fromEli = await eli.client.request('dm', { user: `{${dana.id}}` });
      assert.equal(fromEli.code, 200);
      assert.equal(fromEli.params.conv, first.params.conv);
      assert.equal(fromEli.params.user.id, dana.id);
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] dm start errors`, async () => {
    const s = await startServer(backend);
    try {
      const dana = await s.user('dana');
      const r = (body: unknown) => dana.client.request('dm', body);
      assert.deepEqual(pick(await r({})), [400, 'missing user or conv']);
      assert.deepEqual(pick(await r({ user: '' })), [400, 'missing user or conv']);
      assert.deepEqual(pick(await r({ user: 'nope' })), [400, 'invalid user id']);
      assert.deepEqual(pick(await r({ user: dana.id })), [400, 'cannot DM yourself']);
      assert.deepEqual(pick(await r({ user: randomUUID() })), [404, 'user not found']);
      assert.deepEqual(pick(await r({ user: 7 })), [400, 'malformed message']);
      assert.deepEqual(pick(await r({ user: 'x'.repeat(65) })), [400, 'malformed message']);
      // `user` takes precedence over `conv`.
      assert.deepEqual(pick(await r({ user: 'nope', conv: randomUUID() })), [400, 'invalid user id']);
      const anon = await s.connect();
      const a = await anon.request('dm', { user: dana.id });
      assert.deepEqual(pick(a), [401, 'authentication required']);
      assert.equal(a.id, '1');
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] two users starting the same DM at once get one conversation`, async () => {
    const s = await startServer(backend);
    try {
      const pairs = await Promise.all(Array.from({ length: 20 }, async () => [await s.user(), await s.user()] as const));
      const results = await Promise.all(pairs.map(async ([a, b]) => {
        const [ra, rb] = await Promise.all([a.client.request('dm', { user: b.id }), b.client.request('dm', { user: a.id })]);
        return { ra, rb };
      }));
      const convs = new Set<string>();
      for (const { ra, rb } of results) {
        assert.equal(ra.params.conv, rb.params.conv);
        assert.deepEqual([ra.code, rb.code].sort(), [200, 201]);
        assert.notEqual(ra.params.created, rb.params.created);
        convs.add(ra.params.conv);
      }
      assert.equal(convs.size, 20);
      for (const [a] of pairs) {
        const list = await a.client.request('get', { what: 'conversations' });
        assert.equal(list.params.conversations.length, 1);
      }
    } finally {
      await s.close();
    }
  });
}

function pick(ctrl: Frame): [number, string] {
  return [ctrl.code, ctrl.text];
}
