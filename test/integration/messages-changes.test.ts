import { uncursored } from '../helpers/client.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { backends, withServer } from '../helpers/server.js';
import { ageMessage, decodeContent, dmBetween, removeMember, roomWith } from '../helpers/conversations.js';

const text = (t: string) => ({ v: 1, text: t });

for (const backend of backends()) {
  test(`[${backend}] edit: replaces content, counts edits, refreshes mentions, notifies others`, () =>
    withServer(backend, async (s) => {
      const dana = await s.user();
      const eli = await s.user();
      const conv = await dmBetween(s, dana, eli);
      await dana.client.request('send', { conv, content: { v: 1, text: 'hi @eli', mentions: [{ userId: eli.id, offset: 3, length: 4 }] } });
      const newContent = { v: 1, text: 'Hi Eli! 🙂' };
      const info = eli.client.next((f) => f.info?.what === 'edit');
      const r = await dana.client.request('edit', { conv, seq: 1, content: newContent });
      assert.equal(r.code, 200);
      assert.deepEqual(Object.keys(r.params).sort(), ['conv', 'editedAt', 'seq']);
      assert.deepEqual(uncursored((await info).info), { conv, from: dana.id, what: 'edit', seq: 1, content: newContent, ts: r.params.editedAt });
      const h = await eli.client.request('get', { what: 'messages', conv });
      const [item] = h.params.messages;
      assert.deepEqual(decodeContent(item), newContent);
      assert.deepEqual(item.head, { edit_count: 1, edited_at: r.params.editedAt });
      const mentions = await eli.client.request('get', { what: 'mentions' });
      assert.deepEqual(mentions.params.mentions, []);
      // Nine more edits are fine, the eleventh is refused.
      for (let i = 2; i <= 10; i++) assert.equal((await dana.client.request('edit', { conv, seq: 1, content: text(`e${i}`) })).code, 200);
      const over = await dana.client.request('edit', { conv, seq: 1, content: text('e11') });
      assert.deepEqual([over.code, over.text], [403, 'max edits reached']);
    }));

  test(`[${backend}] edit: error texts in order`, () =>
    withServer(backend, async (s) => {
      const dana = await s.user();
      const eli = await s.user();
      const stranger = await s.user();
      const conv = await dmBetween(s, dana, eli);
      await dana.client.request('send', { conv, content: text('one') });
      await dana.client.request('send', { conv, content: text('two') });
      const expect = async (c: typeof dana.client, body: unknown, code: number, t: string) => {
        const r = await c.request('edit', body);
        assert.deepEqual([r.code, r.text], [code, t], JSON.stringify(body));
      };
      await expect(dana.client, { seq: 1, content: text('x') }, 400, 'missing edit data');
      await expect(dana.client, { conv, seq: 0, content: text('x') }, 400, 'missing edit data');
      await expect(dana.client, { conv, seq: 1 }, 400, 'missing edit data');
      await expect(dana.client, { conv: 'x', seq: 1, content: text('x') }, 400, 'invalid conv id');
      await expect(stranger.client, { conv, seq: 1, content: text('x') }, 403, 'not a member');
      await expect(dana.client, { conv, seq: 99, content: text('x') }, 404, 'message not found');
      await expect(eli.client, { conv, seq: 1, content: text('x') }, 403, 'not your message');
      await expect(dana.client, { conv, seq: 1, content: { v: 1 } }, 400, 'invalid content: text or media required');
      await ageMessage(s, conv, 1, 16 * 60_000);
      await expect(dana.client, { conv, seq: 1, content: text('x') }, 403, 'edit window expired');
      assert.equal((await dana.client.request('delete', { conv, seq: 2, forEveryone: true })).code, 200);
      await expect(dana.client, { conv, seq: 2, content: text('x') }, 404, 'message not found');
      await removeMember(s, conv, dana.id);
      await expect(dana.client, { conv, seq: 2, content: text('x') }, 403, 'not a member');
    }));

  test(`[${backend}] unsend: author within 5 minutes; history shows it deleted with head.unsent`, () =>
    withServer(backend, async (s) => {
      const dana = await s.user();
      const eli = await s.user();
      const conv = await dmBetween(s, dana, eli);
      await dana.client.request('send', { conv, content: text('oops') });
      await dana.client.request('send', { conv, content: text('old') });
      const expect = async (c: typeof dana.client, body: unknown, code: number, t: string) => {
        const r = await c.request('unsend', body);
        assert.deepEqual([r.code, r.text], [code, t], JSON.stringify(body));
        return r;
      };
      await expect(dana.client, { conv }, 400, 'missing unsend data');
      await expect(dana.client, { conv: 'zz', seq: 1 }, 400, 'invalid conv id');
      await expect(dana.client, { conv: randomUUID(), seq: 1 }, 403, 'not a member');
      await expect(dana.client, { conv, seq: 7 }, 404, 'message not found');
      await expect(eli.client, { conv, seq: 1 }, 403, 'not your message');
      await ageMessage(s, conv, 2, 6 * 60_000);
      await expect(dana.client, { conv, seq: 2 }, 403, 'unsend window expired');
      const info = eli.client.next((f) => f.info?.what === 'unsend');
      const r = await expect(dana.client, { conv, seq: 1 }, 200, 'ok');
      assert.deepEqual(Object.keys(r.params).sort(), ['conv', 'seq', 'ts']);
      assert.deepEqual(uncursored((await info).info), { conv, from: dana.id, what: 'unsend', seq: 1, ts: r.params.ts });
      const h = await eli.client.request('get', { what: 'messages', conv });
      const item = h.params.messages.find((m: { seq: number }) => m.seq === 1);
      assert.deepEqual(item, { seq: 1, from: dana.id, ts: item.ts, deleted: true, head: { unsent: true } });
      // Content is kept in storage (§5.4).
      const row = await s.app.deps.stores.db.kysely
        .selectFrom('messages')
        .select('content')
        .where('conversation_id', '=', conv)
        .where('seq', '=', 1)
        .executeTakeFirstOrThrow();
      assert.ok(row.content && row.content.length > 0);
      // Repeating it is idempotent and silent.
      await expect(dana.client, { conv, seq: 1 }, 200, 'ok');
    }));

  test(`[${backend}] delete: for everyone (author) notifies others; for me hides only for me`, () =>
    withServer(backend, async (s) => {
      const dana = await s.user();
      const eli = await s.user();
      const conv = await dmBetween(s, dana, eli);
      for (const t of ['a', 'b', 'c']) await dana.client.request('send', { conv, content: text(t) });
      const expect = async (c: typeof dana.client, body: unknown, code: number, t: string) => {
        const r = await c.request('delete', body);
        assert.deepEqual([r.code, r.text], [code, t], JSON.stringify(body));
        return r;
      };
      await expect(dana.client, { conv, seq: -1 }, 400, 'missing delete data');
      await expect(dana.client, { conv: '123', seq: 1 }, 400, 'invalid conv id');
      await expect(dana.client, { conv: randomUUID(), seq: 1 }, 403, 'not a member');
      await expect(dana.client, { conv, seq: 4 }, 404, 'message not found');
      await expect(eli.client, { conv, seq: 1, forEveryone: true }, 403, 'not your message');
      await ageMessage(s, conv, 1, 24 * 3600_000);
      const info = eli.client.next((f) => f.info?.what === 'delete');
      const r = await expect(dana.client, { conv, seq: 1, forEveryone: true }, 200, 'ok');
      assert.deepEqual(uncursored((await info).info), { conv, from: dana.id, what: 'delete', seq: 1, ts: r.params.ts });
      // Delete for me: Eli hides seq 2; Dana still sees it; no notification to anyone.
      await expect(eli.client, { conv, seq: 2 }, 200, 'ok');
      await expect(eli.client, { conv, seq: 2 }, 200, 'ok');
      const mine = await eli.client.request('get', { what: 'messages', conv });
      assert.deepEqual(
        mine.params.messages.map((m: { seq: number; deleted?: boolean }) => [m.seq, m.deleted ?? false]),
        [
          [3, false],
          [1, true],
        ],
      );
      const hers = await dana.client.request('get', { what: 'messages', conv });
      assert.deepEqual(
        hers.params.messages.map((m: { seq: number }) => m.seq),
        [3, 2, 1],
      );
      const marker = eli.client.next((f) => f.data?.seq === 4);
      await dana.client.request('send', { conv, content: text('marker') });
      await marker;
      assert.equal(dana.client.frames.filter((f) => f.info?.what === 'delete').length, 0);
      assert.equal(eli.client.frames.filter((f) => f.info?.what === 'delete').length, 1);
    }));

  test(`[${backend}] react: toggles, 404 for unknown seq, allowed on deleted messages, notifies others`, () =>
    withServer(backend, async (s) => {
      const dana = await s.user();
      const eli = await s.user();
      const stranger = await s.user();
      const conv = await dmBetween(s, dana, eli);
      await dana.client.request('send', { conv, content: text('hello') });
      const expect = async (c: typeof dana.client, body: unknown, code: number, t: string) => {
        const r = await c.request('react', body);
        assert.deepEqual([r.code, r.text], [code, t], JSON.stringify(body));
        return r;
      };
      await expect(eli.client, { conv, seq: 1 }, 400, 'missing react data');
      await expect(eli.client, { conv, seq: 1, emoji: '' }, 400, 'missing react data');
      await expect(eli.client, { conv: 'x', seq: 1, emoji: '❤️' }, 400, 'invalid conv id');
      await expect(stranger.client, { conv, seq: 1, emoji: '❤️' }, 403, 'not a member');
      await expect(eli.client, { conv, seq: 2, emoji: '❤️' }, 404, 'message not found');
      const info = dana.client.next((f) => f.info?.what === 'react');
      const r = await expect(eli.client, { conv, seq: 1, emoji: '❤️' }, 200, 'ok');
      assert.deepEqual(r.params, { conv, seq: 1, emoji: '❤️', ts: r.params.ts });
      assert.deepEqual(uncursored((await info).info), { conv, from: eli.id, what: 'react', seq: 1, emoji: '❤️', added: true, ts: r.params.ts });
      let h = await dana.client.request('get', { what: 'messages', conv });
      assert.deepEqual(h.params.messages[0].head, { reactions: { '❤️': [eli.id] } });
      await expect(dana.client, { conv, seq: 1, emoji: '❤️' }, 200, 'ok');
      h = await dana.client.request('get', { what: 'messages', conv });
      assert.deepEqual(h.params.messages[0].head, { reactions: { '❤️': [eli.id, dana.id] } });
      await expect(eli.client, { conv, seq: 1, emoji: '❤️' }, 200, 'ok');
      await expect(dana.client, { conv, seq: 1, emoji: '❤️' }, 200, 'ok');
      h = await dana.client.request('get', { what: 'messages', conv });
      assert.equal('head' in h.params.messages[0], false);
      await dana.client.request('delete', { conv, seq: 1, forEveryone: true });
      await expect(eli.client, { conv, seq: 1, emoji: '👍' }, 200, 'ok');
    }));

  test(`[${backend}] react: many users toggling at once all land`, () =>
    withServer(
      backend,
      async (s) => {
        const owner = await s.user();
        const users = await Promise.all(Array.from({ length: 12 }, () => s.user()));
        const room = await roomWith(s, owner, users);
        await owner.client.request('send', { conv: room, content: text('vote') });
        // Each user toggles 👍 three times (net: on) and 🎉 twice (net: off), all at once.
        await Promise.all(
          users.flatMap((u) => [
            ...[1, 2, 3].map(() => u.client.request('react', { conv: room, seq: 1, emoji: '👍' })),
            ...[1, 2].map(() => u.client.request('react', { conv: room, seq: 1, emoji: '🎉' })),
          ]),
        );
        const h = await owner.client.request('get', { what: 'messages', conv: room });
        const head = h.params.messages[0].head;
        assert.deepEqual(Object.keys(head.reactions), ['👍']);
        assert.deepEqual([...head.reactions['👍']].sort(), users.map((u) => u.id).sort());
      },
      { frameRate: 10_000 },
    ));
}
