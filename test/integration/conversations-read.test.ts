import { uncursored } from '../helpers/client.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startServer, backends, type TestServer } from '../helpers/server.js';
import type { Frame } from '../helpers/client.js';
import { insertMessage, pick } from '../helpers/conversation-fixtures.js';

async function markDeleted(s: TestServer, userId: string): Promise<void> {
  await s.app.deps.stores.db.kysely.updateTable('users').set({ state: 'deleted' }).where('id', '=', userId).execute();
}

async function setReadSeq(s: TestServer, conv: string, userId: string, seq: number): Promise<void> {
  await s.app.deps.stores.db.kysely
    .updateTable('members')
    .set({ read_seq: seq, recv_seq: seq + 1 })
    .where('conversation_id', '=', conv)
    .where('user_id', '=', userId)
    .execute();
}

for (const backend of backends()) {
  test(`[${backend}] get conversations: shape, order, unread, pins`, async () => {
    const s = await startServer(backend);
    try {
      const dana = await s.user(undefined, { fn: 'Dana' });
      const eli = await s.user(undefined, { fn: 'Eli' });
      const fay = await s.user(undefined, { fn: 'Fay' });
      const dmEli = (await dana.client.request('dm', { user: eli.id })).params.conv;
      const dmFay = (await dana.client.request('dm', { user: fay.id })).params.conv;
      const room = (await dana.client.request('room', { id: 'new', action: 'create', desc: { public: { fn: 'Room' } } })).params.conv;

      const t0 = Date.now();
      await insertMessage(s, dmEli, eli.id, 1, new Date(t0 + 1000));
      const m2 = await insertMessage(s, dmEli, dana.id, 2, new Date(t0 + 2000));
      await insertMessage(s, room, dana.id, 1, new Date(t0 + 3000));
      await setReadSeq(s, dmEli, dana.id, 1);
      await setReadSeq(s, room, dana.id, 5);
      assert.equal((await dana.client.request('pin', { conv: dmEli, seq: 2 })).code, 200);
      await dana.client.request('room', { id: room, action: 'update', noScreenshots: true, disappearingTTL: 60 });

      const list = (await dana.client.request('get', { what: 'conversations' })).params.conversations as Frame[];
      // Newest activity first; the message-less DM falls back to its creation time.
      assert.deepEqual(
        list.map((c) => c.id),
        [room, dmEli, dmFay],
      );
      const [r, e, f] = list as [Frame, Frame, Frame];
      assert.equal(r.type, 'room');
      assert.deepEqual(r.public, { fn: 'Room' });
      assert.equal(r.unread, 0);
      assert.equal(r.readSeq, 5);
      assert.equal(r.noScreenshots, true);
      assert.equal(r.disappearingTTL, 60);
      assert.equal('user' in r, false);

      assert.equal(e.type, 'dm');
      assert.equal(e.lastSeq, 2);
      assert.equal(e.readSeq, 1);
      assert.equal(e.unread, 1);
      assert.equal(e.favorite, false);
      assert.equal(e.muted, false);
      assert.equal(typeof e.lastMsgAt, 'string');
      assert.deepEqual(Object.keys(e.user).sort(), ['id', 'lastSeen', 'online', 'public']);
      assert.equal(e.user.id, eli.id);
      assert.deepEqual(e.user.public, { fn: 'Eli' });
      assert.equal(e.user.online, true);
      assert.equal(e.pinnedSeq, 2);
      assert.equal(e.pinnedBy, dana.id);
      assert.equal(typeof e.pinnedAt, 'string');
      for (const hidden of ['public', 'private', 'blocked', 'recvSeq', 'role', 'createdAt', 'noScreenshots']) assert.equal(hidden in e, false, hidden);

      assert.equal(f.lastSeq, 0);
      assert.equal(f.unread, 0);
      assert.equal('lastMsgAt' in f, false);
      assert.equal('pinnedSeq' in f, false);

      // A pin whose message is gone is not shown; a deleted peer is not shown either.
      await s.app.deps.stores.db.kysely.deleteFrom('messages').where('id', '=', m2).execute();
      await markDeleted(s, fay.id);
      fay.client.close();
      const again = (await dana.client.request('get', { what: 'conversations' })).params.conversations as Frame[];
      assert.equal('pinnedSeq' in again.find((c) => c.id === dmEli)!, false);
      const fayItem = again.find((c) => c.id === dmFay)!;
      assert.equal('user' in fayItem, false);
      assert.equal(fayItem.type, 'dm');

      const fresh = await s.user();
      assert.deepEqual((await fresh.client.request('get', { what: 'conversations' })).params, { conversations: [] });
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] get conversation: item with private data, and its errors`, async () => {
    const s = await startServer(backend);
    try {
      const dana = await s.user();
      const eli = await s.user();
      const stranger = await s.user();
      const conv = (await dana.client.request('dm', { user: eli.id })).params.conv;
      await dana.client.request('dm', { conv, private: { draft: 'hi' }, muted: true });
      const item = (await dana.client.request('get', { what: 'conversation', conv: conv.toUpperCase() })).params.conversation;
      assert.equal(item.id, conv);
      assert.deepEqual(item.private, { draft: 'hi' });
      assert.equal(item.muted, true);
      assert.equal(item.user.id, eli.id);
      assert.equal(item.lastSeq, 0);
      const g = (body: Frame) => dana.client.request('get', { what: 'conversation', ...body });
      assert.deepEqual(pick(await g({})), [400, 'missing conv id']);
      assert.deepEqual(pick(await g({ conv: '' })), [400, 'missing conv id']);
      assert.deepEqual(pick(await g({ conv: 'zz' })), [400, 'invalid conv id']);
      assert.deepEqual(pick(await g({ conv: randomUUID() })), [403, 'not a member']);
      assert.deepEqual(pick(await stranger.client.request('get', { what: 'conversation', conv })), [403, 'not a member']);
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] get members and receipts`, async () => {
    const s = await startServer(backend);
    try {
      const owner = await s.user(undefined, { fn: 'Owner' });
      const ann = await s.user();
      const gone = await s.user();
      const conv = (await owner.client.request('room', { id: 'new', action: 'create' })).params.conv;
      for (const u of [ann, gone]) await owner.client.request('room', { id: conv, action: 'invite', user: u.id });
      await setReadSeq(s, conv, ann.id, 3);
      ann.client.close();
      await ann.client.closed;
      await markDeleted(s, gone.id);

      const members = (await owner.client.request('get', { what: 'members', conv })).params.members as Frame[];
      assert.deepEqual(
        members.map((m) => m.id),
        [owner.id, ann.id],
      );
      assert.deepEqual(members[0], { ...members[0], public: { fn: 'Owner' }, online: true });
      assert.deepEqual(Object.keys(members[1]!).sort(), ['id', 'lastSeen', 'online', 'public']);

      const receipts = (await owner.client.request('get', { what: 'receipts', conv })).params.receipts as Frame[];
      assert.deepEqual(receipts, [
        { user: owner.id, readSeq: 0, recvSeq: 0 },
        { user: ann.id, readSeq: 3, recvSeq: 4 },
        { user: gone.id, readSeq: 0, recvSeq: 0 },
      ]);
      for (const what of ['members', 'receipts']) {
        const g = (body: Frame) => owner.client.request('get', { what, ...body });
        assert.deepEqual(pick(await g({})), [400, 'missing conv']);
        assert.deepEqual(pick(await g({ conv: 'x' })), [400, 'invalid conv id']);
        assert.deepEqual(pick(await g({ conv: randomUUID() })), [403, 'not a member']);
      }
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] get user: summary, unknown and deleted users answer 404`, async () => {
    const s = await startServer(backend);
    try {
      const dana = await s.user();
      const eli = await s.user(undefined, { fn: 'Eli', bio: 'b' });
      const u = await dana.client.request('get', { what: 'user', user: eli.id });
      assert.equal(u.code, 200);
      assert.deepEqual({ ...u.params.user, lastSeen: null }, { id: eli.id, public: { fn: 'Eli', bio: 'b' }, online: true, lastSeen: null });
      assert.equal(typeof u.params.user.lastSeen, 'string');
      const g = (body: Frame) => dana.client.request('get', { what: 'user', ...body });
      assert.deepEqual(pick(await g({})), [400, 'missing user id']);
      assert.deepEqual(pick(await g({ user: 'x' })), [400, 'invalid user id']);
      assert.deepEqual(pick(await g({ user: randomUUID() })), [404, 'user not found']);
      await markDeleted(s, eli.id);
      const gone = await g({ user: eli.id });
      assert.deepEqual(pick(gone), [404, 'user not found']);
      assert.equal(gone.id, '6');
      // The connection lives on.
      assert.equal((await g({ user: dana.id })).code, 200);
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] clear stores the requester's own position`, async () => {
    const s = await startServer(backend);
    try {
      const dana = await s.user();
      const eli = await s.user();
      const conv = (await dana.client.request('dm', { user: eli.id })).params.conv;
      const c = await dana.client.request('clear', { conv, seq: 7 });
      assert.equal(c.code, 200);
      assert.deepEqual({ ...c.params, ts: 0 }, { conv, seq: 7, ts: 0 });
      assert.equal((await dana.client.request('clear', { conv, seq: 3 })).code, 200);
      const rows = await s.app.deps.stores.db.kysely.selectFrom('members').select(['user_id', 'clear_seq']).where('conversation_id', '=', conv).execute();
      assert.deepEqual(Object.fromEntries(rows.map((r) => [r.user_id, r.clear_seq])), { [dana.id]: 3, [eli.id]: 0 });
      const r = (body: Frame) => dana.client.request('clear', body);
      assert.deepEqual(pick(await r({ conv })), [400, 'missing clear data']);
      assert.deepEqual(pick(await r({ conv, seq: 0 })), [400, 'missing clear data']);
      assert.deepEqual(pick(await r({ conv, seq: -1 })), [400, 'missing clear data']);
      assert.deepEqual(pick(await r({ seq: 1 })), [400, 'missing clear data']);
      assert.deepEqual(pick(await r({ conv: 'x', seq: 1 })), [400, 'invalid conv id']);
      assert.deepEqual(pick(await r({ conv: randomUUID(), seq: 1 })), [403, 'not a member']);
      assert.deepEqual(pick(await r({ conv, seq: 2 ** 63 })), [400, 'malformed message']);
      await dana.client.request('get', { what: 'conversations' });
      assert.equal(
        eli.client.frames.some((f) => f.info),
        false,
      );
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] pin and unpin in a DM`, async () => {
    const s = await startServer(backend);
    try {
      const dana = await s.user();
      const eli = await s.user();
      const conv = (await dana.client.request('dm', { user: eli.id })).params.conv;
      await insertMessage(s, conv, eli.id, 1);
      await insertMessage(s, conv, dana.id, 2);
      const p = await eli.client.request('pin', { conv, seq: 2 });
      assert.equal(p.code, 200);
      assert.deepEqual(Object.keys(p.params).sort(), ['conv', 'pinnedAt', 'seq']);
      assert.equal(p.params.conv, conv);
      assert.equal(p.params.seq, 2);
      for (const c of [dana.client, eli.client]) {
        const f = await c.waitFor((x) => x.info?.what === 'pin');
        assert.deepEqual({ ...uncursored(f.info), ts: 0 }, { conv, from: eli.id, what: 'pin', seq: 2, ts: 0 });
      }
      const replaced = await dana.client.request('pin', { conv, seq: 1 });
      assert.equal(replaced.code, 200);
      const item = (await eli.client.request('get', { what: 'conversation', conv })).params.conversation;
      assert.equal(item.pinnedSeq, 1);
      assert.equal(item.pinnedBy, dana.id);

      const u = await dana.client.request('pin', { conv });
      assert.equal(u.code, 200);
      assert.deepEqual(Object.keys(u.params).sort(), ['conv', 'unpinnedAt']);
      const unpin = await eli.client.waitFor((x) => x.info?.what === 'unpin');
      assert.equal('seq' in unpin.info, false);
      await dana.client.waitFor((x) => x.info?.what === 'unpin');
      assert.equal('pinnedSeq' in (await eli.client.request('get', { what: 'conversation', conv })).params.conversation, false);
      assert.equal((await dana.client.request('pin', { conv, seq: 0 })).code, 200);

      const r = (body: Frame) => dana.client.request('pin', body);
      assert.deepEqual(pick(await r({ seq: 1 })), [400, 'missing pin data']);
      assert.deepEqual(pick(await r({ conv: 'x', seq: 1 })), [400, 'invalid conv id']);
      assert.deepEqual(pick(await r({ conv: randomUUID(), seq: 1 })), [404, 'conversation not found']);
      assert.deepEqual(pick(await r({ conv, seq: 3 })), [404, 'message not found']);
      assert.deepEqual(pick(await r({ conv, seq: -1 })), [404, 'message not found']);
      const stranger = await s.user();
      assert.deepEqual(pick(await stranger.client.request('pin', { conv, seq: 1 })), [403, 'not a member']);
    } finally {
      await s.close();
    }
  });
}
