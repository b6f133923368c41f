import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends, withServer, PASSWORD, type TestServer } from '../helpers/server.js';
import { basic, type Frame } from '../helpers/client.js';
import { dmBetween, roomWith } from '../helpers/conversations.js';

async function loginAs(s: TestServer, name: string): Promise<Frame> {
  const c = await s.connect();
  const r = await c.request('login', { scheme: 'basic', secret: basic(name, PASSWORD) });
  c.close();
  return r;
}

for (const backend of backends()) {
  test(`[${backend}] private data is stored and returned to its owner only`, () =>
    withServer(backend, async (s) => {
      const secret = { note: 'shelter-address-7', list: [1, 2] };
      const her = await s.user('olga_priv', { fn: 'Olga Private' });
      const him = await s.user('pete_priv', { fn: 'Pete' });
      const r = await her.client.request('acc', { user: 'me', desc: { private: secret } });
      assert.equal(r.code, 200);
      assert.deepEqual(r.params.private, secret);
      const login = await loginAs(s, 'olga_priv');
      assert.deepEqual(login.params.desc, { public: { fn: 'Olga Private' }, private: secret });
      const own = await her.client.request('get', { what: 'user', user: her.id });
      assert.deepEqual(own.params.user.private, secret);
      // Replacing it, and clearing it with null.
      const next = { note: 'moved' };
      assert.deepEqual((await her.client.request('acc', { user: 'me', desc: { public: { fn: 'Olga Private' }, private: next } })).params.private, next);
      assert.deepEqual((await loginAs(s, 'olga_priv')).params.desc.private, next);

      // Nothing another user receives carries it: replies and notifications alike.
      const dm = await dmBetween(s, him, her);
      const room = await roomWith(s, him, [her]);
      await her.client.request('send', { conv: dm, content: { v: 1, text: 'hi' } });
      await him.client.request('contact', { add: her.id });
      const replies = [
        await him.client.request('get', { what: 'user', user: her.id }),
        await him.client.request('search', { query: 'olga' }),
        await him.client.request('dm', { user: her.id }),
        await him.client.request('get', { what: 'members', conv: room }),
        await him.client.request('get', { what: 'members', conv: dm }),
        await him.client.request('get', { what: 'conversations' }),
        await him.client.request('get', { what: 'conversation', conv: dm }),
        await him.client.request('get', { what: 'contacts' }),
      ];
      for (const reply of replies) assert.ok(reply.code < 300, JSON.stringify(reply));
      assert.equal(replies[0]!.params.user.private, undefined);
      assert.equal(replies[1]!.params.users.length, 1);
      for (const f of him.client.frames) assert.ok(!JSON.stringify(f).includes('moved') && !JSON.stringify(f).includes('shelter'), JSON.stringify(f));

      assert.equal((await her.client.request('acc', { user: 'me', desc: { private: null } })).params.private, null);
      const cleared = await loginAs(s, 'olga_priv');
      assert.deepEqual(cleared.params.desc, { public: { fn: 'Olga Private' } }, 'no private data left to answer');
      her.client.close();
      him.client.close();
    }));

  test(`[${backend}] private data given at sign-up is kept`, () =>
    withServer(backend, async (s) => {
      const c = await s.connect();
      const r = await c.request('acc', {
        user: 'new',
        scheme: 'basic',
        secret: basic('quin_priv', PASSWORD),
        login: true,
        desc: { public: { fn: 'Q' }, private: { a: 1 } },
      });
      assert.equal(r.code, 201);
      assert.deepEqual(r.params.desc, { public: { fn: 'Q' }, private: { a: 1 } });
      assert.deepEqual((await loginAs(s, 'quin_priv')).params.desc, { public: { fn: 'Q' }, private: { a: 1 } });
      c.close();
    }));
}
