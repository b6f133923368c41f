import { uncursored } from '../helpers/client.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { backends, startServer, type TestServer } from '../helpers/server.js';
import { decodeContent, dmBetween, removeMember, roomWith, setBlocked } from '../helpers/conversations.js';
import { upload } from './files-support.js';

async function withServer(backend: Parameters<typeof startServer>[0], fn: (s: TestServer) => Promise<void>): Promise<void> {
  const s = await startServer(backend);
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

for (const backend of backends()) {
  test(`[${backend}] send: 202 with seq and ts, data to the other member and the sender's other session only`, () =>
    withServer(backend, async (s) => {
      const dana = await s.user();
      const eli = await s.user();
      const danaPhone = await s.connect();
      await danaPhone.request('login', { scheme: 'token', secret: dana.token });
      const conv = await dmBetween(s, dana, eli);
      const content = { v: 1, text: 'Hi Eli!' };
      const gotEli = eli.client.next((f) => f.data?.seq === 1);
      const gotPhone = danaPhone.next((f) => f.data?.seq === 1);
      const r = await dana.client.request('send', { conv, content });
      assert.equal(r.code, 202);
      assert.equal(r.text, 'ok');
      assert.deepEqual(Object.keys(r.params).sort(), ['conv', 'seq', 'ts']);
      assert.equal(r.params.conv, conv);
      assert.equal(r.params.seq, 1);
      const data = (await gotEli).data;
      assert.deepEqual(uncursored(data), { conv, seq: 1, from: dana.id, content, ts: r.params.ts });
      assert.deepEqual((await gotPhone).data, data);
      // The sending socket gets no data frame: a marker sent afterwards arrives first.
      const r2 = await dana.client.request('send', { conv, content: { v: 1, text: 'second' } });
      assert.equal(r2.params.seq, 2);
      await eli.client.waitFor((f) => f.data?.seq === 2);
      assert.equal(dana.client.frames.filter((f) => f.data).length, 0);
    }));

  test(`[${backend}] send: head carries reply_to, view_once, view_once_ttl and mentions`, () =>
    withServer(backend, async (s) => {
      const dana = await s.user();
      const eli = await s.user();
      const conv = await dmBetween(s, dana, eli);
      const content = { v: 1, text: 'Hey Dana 👋🏽', mentions: [{ userId: dana.id.toUpperCase(), username: 'Dana', offset: 4, length: 4 }] };
      const got = dana.client.next((f) => f.data);
      const r = await eli.client.request('send', { conv, content, replyTo: 1, viewOnce: true, viewOnceTTL: 30 });
      assert.equal(r.code, 202);
      assert.equal(r.params.viewOnce, true);
      const data = (await got).data;
      assert.deepEqual(data.head, {
        reply_to: 1,
        view_once: true,
        view_once_ttl: 30,
        mentions: [{ userId: dana.id, username: 'Dana', offset: 4, length: 4 }],
      });
      assert.deepEqual(data.content, content);
      // replyTo 0 and viewOnce without TTL: no reply_to, no view_once_ttl.
      const got2 = dana.client.next((f) => f.data);
      await eli.client.request('send', { conv, content: 'plain string', replyTo: 0, viewOnce: true });
      assert.deepEqual((await got2).data.head, { view_once: true });
      const got3 = dana.client.next((f) => f.data);
      await eli.client.request('send', { conv, content: { v: 1, text: 'no head' } });
      assert.equal('head' in (await got3).data, false);
    }));

  test(`[${backend}] send: errors in validation order with exact texts`, () =>
    withServer(backend, async (s) => {
      const dana = await s.user();
      const eli = await s.user();
      const stranger = await s.user();
      const conv = await dmBetween(s, dana, eli);
      const c = dana.client;
      const expect = async (body: unknown, code: number, text: string) => {
        const r = await c.request('send', body);
        assert.deepEqual([r.code, r.text], [code, text], JSON.stringify(body));
        assert.ok(r.id);
      };
      await expect({ content: { v: 1, text: 'x' } }, 400, 'missing send data');
      await expect({ conv: '', content: { v: 1, text: 'x' } }, 400, 'missing send data');
      await expect({ conv }, 400, 'missing send data');
      await expect({ conv: 'nope', content: { v: 1, text: 'x' } }, 400, 'invalid conv id');
      await expect({ conv: randomUUID(), content: { v: 1, text: 'x' } }, 403, 'not a member');
      await expect({ conv, content: { v: 2, text: 'x' } }, 400, 'invalid content: v must be 1');
      await expect({ conv, content: { v: 1 } }, 400, 'invalid content: text or media required');
      await expect({ conv, content: null }, 400, 'invalid content: must be an object');
      await expect({ conv, content: 42 }, 400, 'invalid content: must be an object');
      await expect({ conv, content: '' }, 400, 'invalid content: text or media required');
      await expect({ conv, content: { v: 1, text: 'x' }, viewOnce: true, viewOnceTTL: 11 }, 400, 'invalid view-once TTL');
      await expect({ conv, content: { v: 1, text: 'x' }, viewOnce: true, viewOnceTTL: -10 }, 400, 'invalid view-once TTL');
      await expect({ conv, content: { v: 1, text: 'x' }, viewOnceTTL: 11 }, 202, 'ok'); // only read with viewOnce
      await expect({ conv, content: { v: 1, text: 'x' }, nonce: 'a\u0000b' }, 400, 'malformed message');
      await expect({ conv, content: { v: 1, text: 'x' }, seq: 'x' }, 202, 'ok'); // unknown keys ignored
      await expect({ conv: 5, content: { v: 1, text: 'x' } }, 400, 'malformed message');
      await expect({ conv, content: { v: 1, text: 'x' }, replyTo: 2 ** 63 }, 400, 'malformed message');
      await expect({ conv, content: { v: 1, text: 'x' }, nonce: 'n'.repeat(65) }, 400, 'malformed message');
      // Upper-case and bare-hex ids are the same conversation.
      await expect({ conv: conv.toUpperCase(), content: { v: 1, text: 'x' } }, 202, 'ok');
      await expect({ conv: conv.replace(/-/g, ''), content: { v: 1, text: 'x' } }, 202, 'ok');
      const r = await stranger.client.request('send', { conv, content: { v: 1, text: 'x' } });
      assert.deepEqual([r.code, r.text], [403, 'not a member']);
      const anon = await s.connect();
      const a = await anon.request('send', { conv, content: { v: 1, text: 'x' } });
      assert.deepEqual([a.code, a.text], [401, 'authentication required']);
    }));

  test(`[${backend}] send: removed members and blocked senders are refused; the blocker can still send`, () =>
    withServer(backend, async (s) => {
      const owner = await s.user();
      const ann = await s.user();
      const room = await roomWith(s, owner, [ann]);
      assert.equal((await ann.client.request('send', { conv: room, content: { v: 1, text: 'hi' } })).code, 202);
      await removeMember(s, room, ann.id);
      const r = await ann.client.request('send', { conv: room, content: { v: 1, text: 'again' } });
      assert.deepEqual([r.code, r.text], [403, 'not a member']);
      const h = await ann.client.request('get', { what: 'messages', conv: room });
      assert.deepEqual([h.code, h.text], [403, 'not a member']);

      const dana = await s.user();
      const eli = await s.user();
      const dm = await dmBetween(s, dana, eli);
      await setBlocked(eli, dm, true);
      const b = await dana.client.request('send', { conv: dm, content: { v: 1, text: 'x' } });
      assert.deepEqual([b.code, b.text], [403, 'blocked']);
      assert.equal((await eli.client.request('send', { conv: dm, content: { v: 1, text: 'x' } })).code, 202);
    }));

  test(`[${backend}] send: a retry with the same nonce answers the original seq and stores nothing`, () =>
    withServer(backend, async (s) => {
      const dana = await s.user();
      const eli = await s.user();
      const conv = await dmBetween(s, dana, eli);
      const first = await dana.client.request('send', { conv, content: { v: 1, text: 'once' }, nonce: 'n-1' });
      const again = await dana.client.request('send', { conv, content: { v: 1, text: 'once' }, nonce: 'n-1' });
      assert.equal(first.code, 202);
      assert.equal(again.code, 202);
      assert.equal(again.params.seq, first.params.seq);
      assert.equal(again.params.ts, first.params.ts);
      // Concurrent retries from two sessions of the same user: one message.
      const phone = await s.connect();
      await phone.request('login', { scheme: 'token', secret: dana.token });
      const [x, y] = await Promise.all([
        dana.client.request('send', { conv, content: { v: 1, text: 'race' }, nonce: 'n-2' }),
        phone.request('send', { conv, content: { v: 1, text: 'race' }, nonce: 'n-2' }),
      ]);
      assert.equal(x.params.seq, y.params.seq);
      // The same nonce from another user, or in another conversation, is a new message.
      const other = await eli.client.request('send', { conv, content: { v: 1, text: 'mine' }, nonce: 'n-1' });
      assert.equal(other.params.seq, 3);
      const marker = await eli.client.request('send', { conv, content: { v: 1, text: 'marker' } });
      assert.equal(marker.params.seq, 4);
      await eli.client.waitFor((f) => f.data?.seq === 2);
      assert.deepEqual(
        eli.client.frames.filter((f) => f.data).map((f) => f.data.seq),
        [1, 2],
      );
      const h = await eli.client.request('get', { what: 'messages', conv });
      assert.deepEqual(
        h.params.messages.map((m: { seq: number }) => m.seq),
        [4, 3, 2, 1],
      );
    }));

  test(`[${backend}] content is encrypted at rest and history returns base64 of the JSON text`, () =>
    withServer(backend, async (s) => {
      const dana = await s.user();
      const eli = await s.user();
      const conv = await dmBetween(s, dana, eli);
      // The cited file must be one the sender can read: her own upload.
      const plan = (await upload(s, dana.token, Buffer.from('the plan'), { name: 'plan.pdf' })).json!;
      const content = { v: 1, text: 'the secret plan ☂', media: [{ type: 'file', ref: plan.id, name: 'plan.pdf', size: 10 }] };
      const r = await dana.client.request('send', { conv, content });
      const row = await s.app.deps.stores.db.kysely
        .selectFrom('messages')
        .select(['content', 'content_key_id', 'head'])
        .where('conversation_id', '=', conv)
        .where('seq', '=', r.params.seq)
        .executeTakeFirstOrThrow();
      const stored = Buffer.from(row.content!);
      assert.equal(stored.includes(Buffer.from('secret plan')), false);
      assert.equal(row.content_key_id, s.app.deps.cipher.currentKeyId);
      assert.equal(s.app.deps.cipher.decrypt(stored, row.content_key_id)!.toString('utf8'), JSON.stringify(content));
      const files = await s.app.deps.stores.db.kysely.selectFrom('message_files').select('file_id').where('conversation_id', '=', conv).execute();
      assert.deepEqual(
        files.map((f) => f.file_id),
        [content.media[0]!.ref],
      );

      const h = await eli.client.request('get', { what: 'messages', conv });
      assert.equal(h.code, 200);
      const [item] = h.params.messages;
      assert.equal(typeof item.content, 'string');
      assert.equal(Buffer.from(item.content, 'base64').toString('utf8'), JSON.stringify(content));
      assert.deepEqual(decodeContent(item), content);
      assert.deepEqual(Object.keys(item).sort(), ['content', 'from', 'seq', 'ts']);
      assert.equal(item.ts, r.params.ts);
    }));
}
