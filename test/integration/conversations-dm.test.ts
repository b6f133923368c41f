import { uncursored } from '../helpers/client.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startServer, backends } from '../helpers/server.js';
import type { Frame } from '../helpers/client.js';
import { insertMessage, pick, type TestUser } from '../helpers/conversation-fixtures.js';

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
      // 8 users, every one of the 28 pairs started from both sides at the same moment.
      const users: TestUser[] = [];
      for (let i = 0; i < 8; i++) users.push(await s.user());
      const pairs = users.flatMap((a, i) => users.slice(i + 1).map((b) => [a, b] as const));
      const results = await Promise.all(
        pairs.map(async ([a, b]) => {
          const [ra, rb] = await Promise.all([a.client.request('dm', { user: b.id }), b.client.request('dm', { user: a.id })]);
          return { ra, rb };
        }),
      );
      const convs = new Set<string>();
      for (const { ra, rb } of results) {
        assert.equal(ra.params.conv, rb.params.conv);
        assert.deepEqual([ra.code, rb.code].sort(), [200, 201]);
        assert.notEqual(ra.params.created, rb.params.created);
        convs.add(ra.params.conv);
      }
      assert.equal(convs.size, pairs.length);
      for (const u of users) {
        const list = await u.client.request('get', { what: 'conversations' });
        assert.equal(list.params.conversations.length, users.length - 1);
      }
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] dm settings: per-user flags, private data, TTL`, async () => {
    const s = await startServer(backend);
    try {
      const dana = await s.user();
      const eli = await s.user();
      const conv = (await dana.client.request('dm', { user: eli.id })).params.conv;
      const r = (body: Frame) => dana.client.request('dm', { conv, ...body });

      assert.deepEqual((await r({})).params, { conv });
      const flags = await r({ favorite: true, muted: true, private: { note: 'x' } });
      assert.equal(flags.code, 200);
      assert.deepEqual(flags.params, { conv, favorite: true, muted: true, private: { note: 'x' } });
      const mine = (await dana.client.request('get', { what: 'conversation', conv })).params.conversation;
      assert.equal(mine.favorite, true);
      assert.equal(mine.muted, true);
      assert.deepEqual(mine.private, { note: 'x' });
      const theirs = (await eli.client.request('get', { what: 'conversation', conv })).params.conversation;
      assert.equal(theirs.favorite, false);
      assert.equal('private' in theirs, false);
      assert.deepEqual((await r({ private: null })).params, { conv, private: null });

      const phoneMark = eli.client.frames.length;
      const ttl = await r({ disappearingTTL: 86400, favorite: false });
      assert.deepEqual(ttl.params, { conv, disappearingTTL: 86400, favorite: false });
      const info = await eli.client.waitFor((f) => f.info?.what === 'disappearing_updated');
      assert.deepEqual({ ...uncursored(info.info), ts: 0 }, { conv, from: dana.id, what: 'disappearing_updated', ttl: 86400, ts: 0 });
      await dana.client.waitFor((f) => f.info?.what === 'disappearing_updated');
      assert.equal((await eli.client.request('get', { what: 'conversation', conv })).params.conversation.disappearingTTL, 86400);
      assert.ok(eli.client.frames.length > phoneMark);

      const off = await eli.client.request('dm', { conv, disappearingTTL: 0 });
      assert.deepEqual(off.params, { conv, disappearingTTL: null });
      const offInfo = await dana.client.waitFor((f) => f.info?.what === 'disappearing_updated' && f.info.from === eli.id);
      assert.equal('ttl' in offInfo.info, false);
      assert.equal('disappearingTTL' in (await dana.client.request('get', { what: 'conversation', conv })).params.conversation, false);

      for (const bad of [5, -10, 7200, 2_000_000]) {
        assert.deepEqual(pick(await r({ disappearingTTL: bad, muted: false })), [400, 'invalid TTL value']);
      }
      // A rejected request changes nothing.
      assert.equal((await dana.client.request('get', { what: 'conversation', conv })).params.conversation.muted, true);
      assert.deepEqual(pick(await r({ disappearingTTL: '10' })), [400, 'malformed message']);
      assert.deepEqual(pick(await dana.client.request('dm', { conv: 'nope' })), [400, 'invalid conv id']);
      assert.deepEqual(pick(await dana.client.request('dm', { conv: randomUUID(), muted: true })), [403, 'not a member']);
      const stranger = await s.user();
      assert.deepEqual(pick(await stranger.client.request('dm', { conv, disappearingTTL: 10 })), [403, 'not a member']);
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] dm settings on a room: per-user flags only`, async () => {
    const s = await startServer(backend);
    try {
      const owner = await s.user();
      const conv = (await owner.client.request('room', { id: 'new', action: 'create' })).params.conv;
      assert.deepEqual(pick(await owner.client.request('dm', { conv, disappearingTTL: 10 })), [400, 'not a direct conversation']);
      assert.deepEqual(pick(await owner.client.request('dm', { conv, blocked: true })), [400, 'not a direct conversation']);
      assert.deepEqual(pick(await owner.client.request('dm', { conv, disappearingTTL: 10, favorite: true })), [400, 'not a direct conversation']);
      const fav = await owner.client.request('dm', { conv, favorite: true });
      assert.deepEqual(fav.params, { conv, favorite: true });
      const item = (await owner.client.request('get', { what: 'conversation', conv })).params.conversation;
      assert.equal(item.favorite, true);
      assert.equal('disappearingTTL' in item, false);
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] a blocker receives nothing the blocked participant pushes`, async () => {
    const s = await startServer(backend);
    try {
      const dana = await s.user();
      const eli = await s.user();
      const conv = (await dana.client.request('dm', { user: eli.id })).params.conv;
      await insertMessage(s, conv, eli.id, 1);
      assert.deepEqual((await dana.client.request('dm', { conv, blocked: true })).params, { conv, blocked: true });

      // Settings the two share are refused to the blocked participant.
      assert.deepEqual(pick(await eli.client.request('pin', { conv, seq: 1 })), [403, 'blocked']);
      assert.deepEqual(pick(await eli.client.request('dm', { conv, disappearingTTL: 10 })), [403, 'blocked']);
      assert.deepEqual(pick(await eli.client.request('pin', { conv, seq: 0 })), [403, 'blocked']);
      eli.client.send({ typing: { conv } });
      assert.equal((await eli.client.request('read', { conv, seq: 1 })).code, 200);
      // Dana's own request is the marker: anything Eli caused was queued to her before its reply.
      await dana.client.request('get', { what: 'conversations' });
      assert.deepEqual(
        dana.client.frames.filter((f) => f.info),
        [],
      );

      // The blocker's own actions still reach the blocked participant.
      await dana.client.request('pin', { conv, seq: 1 });
      await eli.client.waitFor((f) => f.info?.what === 'pin' && f.info.from === dana.id);
      const item = (await dana.client.request('get', { what: 'conversation', conv })).params.conversation;
      assert.equal(item.pinnedSeq, 1);
      assert.equal(item.user.id, eli.id);
    } finally {
      await s.close();
    }
  });
}
