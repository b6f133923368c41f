import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends, withServer, type TestServer } from '../helpers/server.js';
import { dmBetween, roomWith, setBlocked } from '../helpers/conversations.js';
import { login } from '../helpers/presence.js';
import type { Frame, TestClient } from '../helpers/client.js';
import { sealContent } from '../../src/domain/messages/seal.js';
import { newMessage } from '../helpers/store.js';
import { catchUp, SeenFrames } from '../../client/index.js';

const text = (t: string) => ({ v: 1, text: t });

/** Her cursor of now: where a client that goes offline starts its catch-up. */
async function cursorNow(c: TestClient): Promise<string> {
  const r = await c.request('get', { what: 'sync' });
  assert.equal(r.code, 200, JSON.stringify(r));
  assert.deepEqual(r.params.events, []);
  return r.params.cursor;
}

/** Every event after `since`, page by page, as a client catches up; also returns the final cursor. */
async function syncAll(c: TestClient, since: string, limit?: number): Promise<{ events: Frame[]; cursor: string; pages: number }> {
  const events: Frame[] = [];
  let cursor = since;
  for (let pages = 1; ; pages++) {
    const r = await c.request('get', { what: 'sync', since: cursor, ...(limit ? { limit } : {}) }, 30_000);
    assert.equal(r.code, 200, JSON.stringify(r));
    assert.notEqual(r.params.gap, true, 'no gap expected');
    events.push(...r.params.events);
    cursor = r.params.cursor;
    if (!r.params.more) return { events, cursor, pages };
  }
}

const bodyOf = (f: Frame): Frame => f.data ?? f.info;
const kindOf = (f: Frame): string => (f.data ? 'data' : f.info.what);

for (const backend of backends()) {
  test(`[${backend}] sync replays every kind of event she missed, as things are now, each with its own cursor`, { timeout: 60_000 }, () =>
    withServer(backend, async (s) => {
      const dana = await s.user();
      const eli = await s.user();
      const fay = await s.user();
      const gus = await s.user();
      const dm = await dmBetween(s, dana, eli);
      const room = await roomWith(s, eli, [dana, fay]);
      await eli.client.request('send', { conv: dm, content: text('before') });
      await dana.client.waitFor((f) => f.data?.seq === 1);

      // Dana goes offline with the cursor she has; her phone stays on.
      const since = await cursorNow(dana.client);
      dana.client.close();
      const phone = await login(s, dana);

      // Live frames of one event carry one cursor for every recipient.
      const atFay = fay.client.next((f) => f.data?.conv === room);
      const atPhone = phone.next((f) => f.data?.conv === room);
      await eli.client.request('send', { conv: room, content: text('room hello') });
      assert.equal((await atFay).data.cursor, (await atPhone).data.cursor);

      await eli.client.request('send', { conv: dm, content: text('first draft') }); // dm seq 2
      await eli.client.request('edit', { conv: dm, seq: 2, content: text('final text') });
      await eli.client.request('send', { conv: dm, content: text('oops') }); // dm seq 3
      await eli.client.request('unsend', { conv: dm, seq: 3 });
      await eli.client.request('send', { conv: dm, content: text('gone for all') }); // dm seq 4
      await eli.client.request('delete', { conv: dm, seq: 4, forEveryone: true });
      await eli.client.request('react', { conv: dm, seq: 2, emoji: '❤️' });
      await eli.client.request('react', { conv: dm, seq: 2, emoji: '👍' });
      await eli.client.request('react', { conv: dm, seq: 2, emoji: '👍' }); // toggled off again
      eli.client.send({ typing: { conv: dm } });
      await eli.client.request('recv', { conv: dm, seq: 1 });
      await eli.client.request('read', { conv: dm, seq: 1 });
      await eli.client.request('pin', { conv: dm, seq: 2 });
      await eli.client.request('pin', { conv: room, seq: 1 });
      await eli.client.request('pin', { conv: room, seq: 0 });
      await eli.client.request('dm', { conv: dm, disappearingTTL: 3600 });
      await eli.client.request('room', { id: room, action: 'update', desc: { public: { fn: 'Renamed' } } });
      await eli.client.request('room', { id: room, action: 'update', noScreenshots: true });
      await eli.client.request('room', { id: room, action: 'invite', user: gus.id });
      await eli.client.request('room', { id: room, action: 'role', user: gus.id, role: 'admin' });
      await eli.client.request('room', { id: room, action: 'kick', user: gus.id });
      await fay.client.request('room', { id: room, action: 'leave' });
      // Her own changes on her phone.
      await phone.request('send', { conv: dm, content: text('mine, then hidden') }); // dm seq 5
      await phone.request('delete', { conv: dm, seq: 5 });
      await phone.request('read', { conv: dm, seq: 5 });
      await phone.request('dm', { conv: dm, favorite: true, muted: true });
      await phone.request('clear', { conv: room, seq: 1 });

      const { events } = await syncAll(await login(s, dana), since);
      const cursors = events.map((e) => bodyOf(e).cursor);
      assert.ok(cursors.every((c) => typeof c === 'string'));
      assert.equal(new Set(cursors).size, cursors.length, 'each event has its own cursor');
      const kinds = new Set(events.map(kindOf));
      for (const k of [
        'data',
        'edit',
        'unsend',
        'delete',
        'react',
        'read',
        'recv',
        'pin',
        'disappearing_updated',
        'room_updated',
        'member_joined',
        'member_kicked',
        'role_changed',
        'member_left',
        'delete_for_me',
        'settings',
      ]) {
        assert.ok(kinds.has(k), `a replayed ${k}: got ${[...kinds].join(', ')}`);
      }
      assert.ok(!kinds.has('typing'), 'typing is live only');

      const dmData = events.filter((e) => e.data?.conv === dm).map((e) => e.data);
      // The edited message comes with its current content; the erased ones as tombstones, never their content.
      assert.deepEqual(dmData.find((d) => d.seq === 2)?.content, text('final text'));
      for (const seq of [3, 4]) {
        const d = dmData.find((x) => x.seq === seq);
        assert.equal(d.deleted, true);
        assert.equal('content' in d, false);
      }
      assert.equal(JSON.stringify(events).includes('oops'), false);
      assert.equal(JSON.stringify(events).includes('gone for all'), false);
      assert.equal(JSON.stringify(events).includes('first draft'), false);
      // Hidden for her on her phone: not replayed, and she learns it was hidden.
      assert.equal(
        dmData.find((d) => d.seq === 5),
        undefined,
      );
      assert.ok(events.some((e) => e.info?.what === 'delete_for_me' && e.info.seq === 5));
      // Reactions carry the resulting state, so replaying them twice cannot flip anything.
      const reacts = events.filter((e) => e.info?.what === 'react').map((e) => [e.info.emoji, e.info.added]);
      assert.deepEqual(reacts, [
        ['❤️', true],
        ['👍', false],
        ['👍', false],
      ]);
      // A pin moved since is left out; the room shows its unpin.
      assert.ok(events.some((e) => e.info?.what === 'pin' && e.info.conv === dm && e.info.seq === 2));
      assert.ok(!events.some((e) => e.info?.what === 'pin' && e.info.conv === room));
      assert.ok(events.some((e) => e.info?.what === 'unpin' && e.info.conv === room));
      assert.deepEqual(events.find((e) => e.info?.what === 'settings')?.info.content, { favorite: true, muted: true, blocked: false, private: null });
      assert.ok(events.some((e) => e.info?.what === 'room_updated' && e.info.content?.fn === 'Renamed'));
      assert.ok(events.some((e) => e.info?.what === 'member_left' && e.info.from === fay.id));
      // Her clear on the phone: the room's message before it is not replayed.
      assert.equal(
        events.find((e) => e.data?.conv === room),
        undefined,
      );
      assert.ok(events.some((e) => e.info?.what === 'clear' && e.info.seq === 1));
      // In seq order per conversation.
      const seqs = dmData.map((d) => d.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
      );
    }),
  );

  test(`[${backend}] sync pages through 10,000 events, each message once and in order`, { timeout: 120_000 }, () =>
    withServer(backend, async (s) => {
      const dana = await s.user();
      const eli = await s.user();
      const dm = await dmBetween(s, dana, eli);
      const since = await cursorNow(dana.client);
      await storeMessages(s, dm, eli.id, 10_000);
      const { events, pages } = await syncAll(dana.client, since, 1000);
      assert.equal(events.length, 10_000);
      assert.ok(pages >= 10, `${pages} pages`);
      assert.deepEqual(
        events.map((e) => e.data.seq),
        Array.from({ length: 10_000 }, (_, i) => i + 1),
      );
      const last = events[9_999]!;
      assert.deepEqual(last.data.content, text('m10000'));
      // Continuing from the last cursor: nothing more.
      const again = await dana.client.request('get', { what: 'sync', since: bodyOf(last).cursor });
      assert.deepEqual([again.params.events.length, again.params.more], [0, false]);
    }),
  );

  test(`[${backend}] a cursor older than the log answers gap with a cursor to go on from; bad cursors are refused`, () =>
    withServer(backend, async (s) => {
      const dana = await s.user();
      const eli = await s.user();
      const dm = await dmBetween(s, dana, eli);
      const since = await cursorNow(dana.client);
      await eli.client.request('send', { conv: dm, content: text('old') });
      // Everything stored so far is past the retention.
      assert.ok((await s.app.deps.stores.events.prune(new Date(Date.now() + 1000), 1000)) > 0);
      const gap = await dana.client.request('get', { what: 'sync', since });
      assert.equal(gap.code, 200);
      assert.equal(gap.params.gap, true);
      assert.equal(typeof gap.params.cursor, 'string');
      await eli.client.request('send', { conv: dm, content: text('new') });
      const { events } = await syncAll(dana.client, gap.params.cursor);
      assert.deepEqual(
        events.map((e) => e.data?.content),
        [text('new')],
      );
      for (const bad of ['x', '-1', '1.5', '01', '9'.repeat(40)]) {
        const r = await dana.client.request('get', { what: 'sync', since: bad });
        assert.deepEqual([r.code, r.text], [400, 'invalid cursor'], bad);
      }
      const future = await dana.client.request('get', { what: 'sync', since: '999999999' });
      assert.equal(future.params.gap, true);
      const unsigned = await s.connect();
      assert.equal((await unsigned.request('get', { what: 'sync' })).code, 401);
    }));

  test(`[${backend}] between disconnect and sync: kicked, left, blocked and expired show only what she may still see`, { timeout: 60_000 }, () =>
    withServer(backend, async (s) => {
      const dana = await s.user();
      const eli = await s.user();
      const fay = await s.user();
      const dm = await dmBetween(s, dana, eli);
      const kickRoom = await roomWith(s, fay, [dana, eli]);
      const leaveRoom = await roomWith(s, fay, [dana, eli]);
      await fay.client.request('send', { conv: kickRoom, content: text('room one') });
      await eli.client.request('send', { conv: dm, content: text('look once'), viewOnce: true });
      await dana.client.waitFor((f) => f.data?.conv === dm);

      const since = await cursorNow(dana.client);
      dana.client.close();
      const phone = await login(s, dana);

      // Kicked: she learns it, and nothing said in the room after it.
      await fay.client.request('room', { id: kickRoom, action: 'kick', user: dana.id });
      await fay.client.request('send', { conv: kickRoom, content: text('after the kick') });
      // Left on her phone: she learns it, and nothing after.
      await phone.request('room', { id: leaveRoom, action: 'leave' });
      await fay.client.request('send', { conv: leaveRoom, content: text('after she left') });
      // Eli reads in the DM, then she blocks him on her phone: his receipts are not replayed, his messages stay.
      await eli.client.request('send', { conv: dm, content: text('his message stays') });
      await eli.client.request('read', { conv: dm, seq: 1 });
      await setBlocked({ ...dana, client: phone }, dm, true);
      // Expired: she opened the view-once message on her phone and it expired.
      await phone.request('read', { conv: dm, seq: 1 });
      await expireReads(s, dm, dana.id);
      await phone.waitFor((f) => f.info?.what === 'expired', 10_000);

      const laptop = await login(s, dana);
      const { events } = await syncAll(laptop, since);
      const text_ = JSON.stringify(events);
      assert.ok(events.some((e) => e.info?.what === 'member_kicked' && e.info.conv === kickRoom && e.info.user === dana.id));
      assert.ok(events.some((e) => e.info?.what === 'member_left' && e.info.conv === leaveRoom && e.info.from === dana.id));
      assert.equal(text_.includes('after the kick'), false);
      assert.equal(text_.includes('after she left'), false);
      assert.ok(!events.some((e) => e.info?.conv === kickRoom && e.info.what !== 'member_kicked'));
      assert.ok(events.some((e) => e.data?.content?.text === 'his message stays'));
      assert.ok(!events.some((e) => (e.info?.what === 'read' || e.info?.what === 'recv') && e.info.from === eli.id), 'no receipts from someone she blocked');
      assert.ok(events.some((e) => e.info?.what === 'settings' && e.info.content.blocked === true));
      assert.ok(events.some((e) => e.info?.what === 'expired' && e.info.seq === 1));
      assert.equal(text_.includes('look once'), false, 'no expired content');
      // What Eli's sync shows of her after the block: no receipts of hers.
      const eliSince = await cursorNow(eli.client);
      await phone.request('read', { conv: dm, seq: 2 });
      const eliSees = await syncAll(eli.client, eliSince);
      assert.ok(!eliSees.events.some((e) => e.info?.from === dana.id && (e.info.what === 'read' || e.info.what === 'recv')));
    }),
  );

  test(`[${backend}] the client's catchUp and SeenFrames: live frames and a catch-up overlap, each applied once`, () =>
    withServer(backend, async (s) => {
      const dana = await s.user();
      const eli = await s.user();
      const dm = await dmBetween(s, dana, eli);
      const start = await catchUp(dana.client.client, undefined);
      assert.deepEqual([start.events, start.gap], [[], false]);
      for (let i = 1; i <= 5; i++) await eli.client.request('send', { conv: dm, content: text(`n${i}`) });
      await eli.client.request('react', { conv: dm, seq: 1, emoji: '👍' });
      await dana.client.waitFor((f) => f.info?.what === 'react');
      const seen = new SeenFrames();
      const live = dana.client.frames.filter((f) => f.data || f.info);
      const applied = live.filter((f) => seen.fresh(f));
      const caught = await catchUp(dana.client.client, start.cursor, { limit: 2 });
      assert.equal(caught.gap, false);
      assert.equal(caught.events.length, 6);
      assert.deepEqual(
        caught.events.filter((f) => seen.fresh(f)),
        [],
        'everything caught up was already applied live',
      );
      assert.equal(applied.length, 6);
      const again = await catchUp(dana.client.client, caught.cursor);
      assert.deepEqual(again.events, []);
      await assert.rejects(catchUp(dana.client.client, 'not-a-cursor'), /400 invalid cursor/);
    }));

  test(`[${backend}] sync never shows a stranger's conversations`, () =>
    withServer(backend, async (s) => {
      const dana = await s.user();
      const eli = await s.user();
      const mallory = await s.user();
      const dm = await dmBetween(s, dana, eli);
      const since = await cursorNow(mallory.client);
      await eli.client.request('send', { conv: dm, content: text('private') });
      await dana.client.request('read', { conv: dm, seq: 1 });
      await dana.client.request('delete', { conv: dm, seq: 1 });
      const { events } = await syncAll(mallory.client, since);
      assert.deepEqual(events, []);
      const r = await mallory.client.request('get', { what: 'sync', since: '0' });
      assert.deepEqual(r.params.events, []);
    }));
}

/** Stores `n` messages as sends do (sync events included), without the per-socket frame rate in the way. */
async function storeMessages(s: TestServer, conv: string, from: string, n: number): Promise<void> {
  const { deps } = s.app;
  const members = await deps.stores.membership.snapshot(conv);
  for (let i = 0; i < n; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, n - i) }, (_, k) => {
        const sealed = sealContent(deps, s.app.deps.log, text(`m${i + k + 1}`));
        return deps.stores.sends.insert(newMessage(conv, from, { content: sealed.blob, keyId: sealed.keyId, memberVersion: members!.version }), () => {});
      }),
    );
  }
}

/** Makes every started expiry of `reader` in `conv` due now; the sweep (every 2 s) then notices it. */
async function expireReads(s: TestServer, conv: string, reader: string): Promise<void> {
  const k = s.app.deps.stores.db.kysely;
  const ids = await k.selectFrom('messages').select('id').where('conversation_id', '=', conv).execute();
  await k
    .updateTable('message_reads')
    .set({ expires_at: new Date(Date.now() - 1000) })
    .where('user_id', '=', reader)
    .where(
      'message_id',
      'in',
      ids.map((r) => r.id),
    )
    .where('expires_at', 'is not', null)
    .execute();
}
