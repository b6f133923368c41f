import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends, withServer } from '../helpers/server.js';
import { dmBetween } from '../helpers/conversations.js';

for (const backend of backends()) {
  for (const emoji of ['__proto__', 'constructor', 'toString']) {
    test(`[${backend}] react with the emoji ${emoji} is an ordinary reaction`, () =>
      withServer(backend, async (s) => {
        const dana = await s.user();
        const eli = await s.user();
        const conv = await dmBetween(s, dana, eli);
        await dana.client.request('send', { conv, content: { v: 1, text: 'hi' } });
        assert.equal((await eli.client.request('react', { conv, seq: 1, emoji: '👍' })).code, 200);
        const info = dana.client.next((f) => f.info?.what === 'react' && f.info.emoji === emoji);
        const r = await eli.client.request('react', { conv, seq: 1, emoji });
        assert.deepEqual([r.code, r.params.emoji], [200, emoji]);
        assert.equal((await info).info.from, eli.id);
        assert.equal((await dana.client.request('react', { conv, seq: 1, emoji })).code, 200);
        const [item] = (await dana.client.request('get', { what: 'messages', conv })).params.messages;
        assert.ok(Object.hasOwn(item.head.reactions, emoji), JSON.stringify(item.head));
        assert.deepEqual(item.head.reactions[emoji], [eli.id, dana.id]);
        assert.deepEqual(item.head.reactions['👍'], [eli.id]);
        // Toggling off removes it and keeps the others.
        await eli.client.request('react', { conv, seq: 1, emoji });
        await dana.client.request('react', { conv, seq: 1, emoji });
        const [after] = (await dana.client.request('get', { what: 'messages', conv })).params.messages;
        assert.deepEqual(Object.keys(after.head.reactions), ['👍']);
      }));

    test(`[${backend}] a request body key ${emoji} is an ordinary unknown key`, () =>
      withServer(backend, async (s) => {
        const dana = await s.user();
        const eli = await s.user();
        const reply = dana.client.next((f) => f.ctrl?.id === 'k1');
        dana.client.sendRaw(`{"id":"k1","get":{"what":"user","${emoji}":{"user":"${eli.id}"}}}`);
        assert.deepEqual([(await reply).ctrl.code, (await reply).ctrl.text], [400, 'missing user id']);
        const asMember = dana.client.next((f) => f.ctrl?.id === 'k2');
        dana.client.sendRaw(`{"id":"k2","acc":{"user":"me","desc":{"${emoji}":{"public":{"fn":"sneaky"}}}}}`);
        assert.ok((await asMember).ctrl.code < 500, JSON.stringify(await asMember));
        const me = await dana.client.request('get', { what: 'user', user: dana.id });
        assert.notDeepEqual(me.params.user.public, { fn: 'sneaky' });
      }));
  }
}
