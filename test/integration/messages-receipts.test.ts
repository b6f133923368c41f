import { uncursored } from '../helpers/client.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { backends, withServer } from '../helpers/server.js';
import { dmBetween, removeMember, roomWith, setDisappearingTtl } from '../helpers/conversations.js';
import type { Frame } from '../helpers/client.js';

const text = (t: string) => ({ v: 1, text: t });
const seqsOf = (r: Frame): number[] => r.params.messages.map((m: { seq: number }) => m.seq);

for (const backend of backends()) {
  test(`[${backend}] read and recv: never move backwards, notify others, need active membership`, () =>
    withServer(backend, async (s) => {
      const dana = await s.user();
      const eli = await s.user();
      const stranger = await s.user();
      const conv = await dmBetween(s, dana, eli);
      for (let i = 1; i <= 5; i++) await dana.client.request('send', { conv, content: text(`m${i}`) });
      for (const op of ['read', 'recv'] as const) {
        const missing = `missing ${op} data`;
        for (const [body, code, t] of [
          [{ conv }, 400, missing],
          [{ conv, seq: 0 }, 400, missing],
          [{ seq: 1 }, 400, missing],
          [{ conv: 'bad', seq: 1 }, 400, 'invalid conv id'],
          [{ conv: randomUUID(), seq: 1 }, 403, 'not a member'],
        ] as const) {
          const r = await eli.client.request(op, body);
          assert.deepEqual([r.code, r.text], [code, t], `${op} ${JSON.stringify(body)}`);
        }
        const r = await stranger.client.request(op, { conv, seq: 1 });
        assert.deepEqual([r.code, r.text], [403, 'not a member']);
      }
      const recvInfo = dana.client.next((f) => f.info?.what === 'recv');
      const recv = await eli.client.request('recv', { conv, seq: 4 });
      assert.deepEqual(recv.params, { conv, seq: 4, ts: recv.params.ts });
      assert.deepEqual(uncursored((await recvInfo).info), { conv, from: eli.id, what: 'recv', seq: 4, ts: recv.params.ts });
      const readInfo = dana.client.next((f) => f.info?.what === 'read');
      const read = await eli.client.request('read', { conv, seq: 3 });
      assert.equal(read.params.seq, 3);
      assert.deepEqual(uncursored((await readInfo).info), { conv, from: eli.id, what: 'read', seq: 3, ts: read.params.ts });
      // Backwards moves are ignored; positions past the last seq are clamped.
      assert.equal((await eli.client.request('read', { conv, seq: 1 })).params.seq, 3);
      assert.equal((await eli.client.request('recv', { conv, seq: 2 })).params.seq, 4);
      assert.equal((await eli.client.request('read', { conv, seq: 2_000_000_000 })).params.seq, 5);
      const member = await s.app.deps.stores.membership.getMembership(conv, eli.id);
      assert.deepEqual([member?.readSeq, member?.recvSeq], [5, 5]);
      await removeMember(s, conv, eli.id);
      const gone = await eli.client.request('read', { conv, seq: 5 });
      assert.deepEqual([gone.code, gone.text], [403, 'not a member']);
    }));

  test(`[${backend}] read records every covered message from others (not just 50), first read wins`, () =>
    withServer(
      backend,
      async (s) => {
        const dana = await s.user();
        const eli = await s.user();
        const conv = await dmBetween(s, dana, eli);
        for (let i = 1; i <= 120; i++) await dana.client.request('send', { conv, content: text(`m${i}`) });
        await eli.client.request('send', { conv, content: text('mine') });
        await eli.client.request('delete', { conv, seq: 7 });
        await eli.client.request('read', { conv, seq: 121 });
        const k = s.app.deps.stores.db.kysely;
        const rows = await k
          .selectFrom('message_reads')
          .innerJoin('messages', 'messages.id', 'message_reads.message_id')
          .select(['messages.seq', 'message_reads.read_at', 'message_reads.expires_at'])
          .where('message_reads.user_id', '=', eli.id)
          .execute();
        assert.equal(rows.length, 119); // 120 from Dana minus the one Eli deleted for himself
        assert.ok(rows.every((r) => r.expires_at === null));
        const firstReadAt = String(rows[0]!.read_at);
        await eli.client.request('read', { conv, seq: 121 });
        const again = await k
          .selectFrom('message_reads')
          .select('read_at')
          .where(
            'message_id',
            '=',
            (await k.selectFrom('messages').select('id').where('conversation_id', '=', conv).where('seq', '=', rows[0]!.seq).executeTakeFirstOrThrow()).id,
          )
          .where('user_id', '=', eli.id)
          .executeTakeFirstOrThrow();
        assert.equal(String(again.read_at), firstReadAt);
      },
      { frameRate: 10_000 },
    ));

  test(`[${backend}] typing: no reply, others get info typing once per second, non-members ignored`, () =>
    withServer(backend, async (s) => {
      const dana = await s.user();
      const eli = await s.user();
      const stranger = await s.user();
      const conv = await dmBetween(s, dana, eli);
      const missing = await dana.client.request('typing', {});
      assert.deepEqual([missing.code, missing.text], [400, 'missing typing data']);
      const anon = await s.connect();
      anon.send({ typing: { conv } });
      const denied = await anon.waitFor((f) => f.ctrl);
      assert.deepEqual([denied.ctrl.code, denied.ctrl.text], [401, 'authentication required']);
      stranger.client.send({ typing: { conv } });
      stranger.client.send({ typing: { conv: 'not-a-uuid' } });
      dana.client.send({ typing: { conv } });
      dana.client.send({ id: 't2', typing: { conv } });
      const first = await eli.client.waitFor((f) => f.info?.what === 'typing');
      assert.deepEqual(first.info, { conv, from: dana.id, what: 'typing', ts: first.info.ts });
      // Marker: everything sent before it has been handled once its reply arrives.
      await dana.client.request('recv', { conv, seq: 1 });
      await stranger.client.request('hi', {});
      await eli.client.request('send', { conv, content: text('marker') });
      await dana.client.waitFor((f) => f.data?.content?.text === 'marker');
      assert.equal(eli.client.frames.filter((f) => f.info?.what === 'typing').length, 1);
      assert.equal(dana.client.frames.filter((f) => f.ctrl?.id === 't2').length, 0);
      assert.equal(stranger.client.frames.filter((f) => f.ctrl && f.ctrl.code >= 400).length, 0);
      assert.equal(dana.client.frames.filter((f) => f.info?.what === 'typing').length, 0);
    }));

  test(`[${backend}] history: paging with before and limit, catch-up with after, clear_seq`, () =>
    withServer(
      backend,
      async (s) => {
        const dana = await s.user();
        const eli = await s.user();
        const stranger = await s.user();
        const conv = await dmBetween(s, dana, eli);
        for (let i = 1; i <= 60; i++) await dana.client.request('send', { conv, content: text(`m${i}`) });
        const page = (body: object) => eli.client.request('get', { what: 'messages', conv, ...body });
        assert.deepEqual(
          seqsOf(await page({})),
          Array.from({ length: 50 }, (_, i) => 60 - i),
        );
        assert.deepEqual(seqsOf(await page({ limit: 3 })), [60, 59, 58]);
        assert.deepEqual(seqsOf(await page({ limit: 101 })).length, 50);
        assert.deepEqual(seqsOf(await page({ limit: 0 })).length, 50);
        assert.deepEqual(seqsOf(await page({ before: 11 })), [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
        assert.deepEqual(seqsOf(await page({ after: 55 })), [56, 57, 58, 59, 60]);
        assert.deepEqual(seqsOf(await page({ after: 0, limit: 2 })), [1, 2]);
        assert.deepEqual(seqsOf(await page({ after: 5, before: 9 })), [6, 7, 8]);
        assert.equal((await eli.client.request('clear', { conv, seq: 58 })).code, 200);
        assert.deepEqual(seqsOf(await page({})), [60, 59]);
        assert.deepEqual(seqsOf(await page({ after: 3 })), [59, 60]);
        for (const [body, code, t] of [
          [{ what: 'messages' }, 400, 'missing conv'],
          [{ what: 'messages', conv: 'x' }, 400, 'invalid conv id'],
          [{ what: 'messages', conv }, 403, 'not a member'],
        ] as const) {
          const r = await stranger.client.request('get', body);
          assert.deepEqual([r.code, r.text], [code, t]);
        }
      },
      { frameRate: 10_000 },
    ));

  test(`[${backend}] mentions: respect clear_seq, delete-for-me, delete-for-everyone and membership`, () =>
    withServer(backend, async (s) => {
      const owner = await s.user();
      const ann = await s.user();
      const room = await roomWith(s, owner, [ann]);
      const mention = (t: string) => ({ v: 1, text: `${t} @ann`, mentions: [{ userId: ann.id, username: 'ann', offset: t.length + 1, length: 4 }] });
      for (const t of ['one', 'two', 'three', 'four']) await owner.client.request('send', { conv: room, content: mention(t) });
      await owner.client.request('send', { conv: room, content: text('no mention') });
      let r = await ann.client.request('get', { what: 'mentions' });
      assert.equal(r.code, 200);
      assert.deepEqual(
        r.params.mentions.map((m: { seq: number }) => m.seq),
        [4, 3, 2, 1],
      );
      const [top] = r.params.mentions;
      assert.deepEqual(Object.keys(top).sort(), ['content', 'conv', 'from', 'head', 'seq', 'ts']);
      assert.equal(top.conv, room);
      assert.deepEqual(JSON.parse(Buffer.from(top.content, 'base64').toString()), mention('four'));
      assert.deepEqual(top.head.mentions, [{ userId: ann.id, username: 'ann', offset: 5, length: 4 }]);
      assert.deepEqual((await ann.client.request('get', { what: 'mentions', limit: 1 })).params.mentions.length, 1);
      await ann.client.request('delete', { conv: room, seq: 4 });
      await owner.client.request('delete', { conv: room, seq: 3, forEveryone: true });
      assert.equal((await ann.client.request('clear', { conv: room, seq: 1 })).code, 200);
      r = await ann.client.request('get', { what: 'mentions' });
      assert.deepEqual(
        r.params.mentions.map((m: { seq: number }) => m.seq),
        [2],
      );
      await removeMember(s, room, ann.id);
      r = await ann.client.request('get', { what: 'mentions' });
      assert.deepEqual(r.params.mentions, []);
    }));

  test(`[${backend}] expiry: a 10 s view-once message disappears for the reader, not the sender, and info expired arrives`, { timeout: 40_000 }, () =>
    withServer(backend, async (s) => {
      const dana = await s.user();
      const eli = await s.user();
      const conv = await dmBetween(s, dana, eli);
      await dana.client.request('send', { conv, content: text('look once'), viewOnce: true });
      await dana.client.request('send', { conv, content: text('stays') });
      await setDisappearingTtl(dana, conv, 3600);
      const before = await eli.client.request('get', { what: 'messages', conv });
      assert.deepEqual(
        before.params.messages.map((m: { seq: number; viewOnce?: boolean }) => [m.seq, m.viewOnce ?? false]),
        [
          [2, false],
          [1, true],
        ],
      );
      const readAt = Date.now();
      await eli.client.request('read', { conv, seq: 2 });
      const expired = await eli.client.waitFor((f) => f.info?.what === 'expired', 20_000);
      assert.ok(Date.now() - readAt >= 9_000);
      assert.deepEqual(uncursored(expired.info), { conv, from: dana.id, what: 'expired', seq: 1, ts: expired.info.ts });
      const after = await eli.client.request('get', { what: 'messages', conv });
      assert.deepEqual(seqsOf(after), [2]); // seq 2 follows the conversation TTL (1 h)
      const sender = await dana.client.request('get', { what: 'messages', conv });
      assert.deepEqual(seqsOf(sender), [2, 1]);
      assert.equal(dana.client.frames.filter((f) => f.info?.what === 'expired').length, 0);
    }),
  );

  test(`[${backend}] expiry: history hides a message as soon as expires_at passes, before any sweep`, () =>
    withServer(backend, async (s) => {
      const dana = await s.user();
      const eli = await s.user();
      const conv = await dmBetween(s, dana, eli);
      await dana.client.request('send', { conv, content: text('brief') });
      await setDisappearingTtl(dana, conv, 10);
      await eli.client.request('read', { conv, seq: 1 });
      assert.deepEqual(seqsOf(await eli.client.request('get', { what: 'messages', conv })), [1]);
      await s.app.deps.stores.db.kysely
        .updateTable('message_reads')
        .set({ expires_at: new Date(Date.now() - 1000) })
        .where('user_id', '=', eli.id)
        .execute();
      assert.deepEqual(seqsOf(await eli.client.request('get', { what: 'messages', conv })), []);
      assert.deepEqual(seqsOf(await dana.client.request('get', { what: 'messages', conv })), [1]);
    }));
}
