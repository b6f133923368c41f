import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basic, type TestClient } from '../helpers/client.js';
import { backends, PASSWORD, withServer, type TestServer } from '../helpers/server.js';
import { insertMessage, pick, type TestUser } from '../helpers/conversation-fixtures.js';
import { flushPres, login, presOf } from '../helpers/presence.js';

/** An account that never logged in: what anyone sees of a user who never came online. */
async function neverOnline(s: TestServer, name: string): Promise<string> {
  const c = await s.connect();
  const r = await c.request('acc', { user: 'new', scheme: 'basic', secret: basic(name, PASSWORD), desc: { public: { fn: name } } });
  assert.equal(r.code, 201, JSON.stringify(r));
  c.close();
  return r.params.user;
}

/** Bea blocks Al in their DM; both are also in a room with Cy (who blocked nobody). */
async function blockedSetup(s: TestServer) {
  const al = await s.user('alden');
  const bea = await s.user('beatrix');
  const cy = await s.user('cyrus');
  const dm = (await al.client.request('dm', { user: bea.id })).params.conv as string;
  const room = (await cy.client.request('room', { action: 'create', desc: { public: { fn: 'shared' } } })).params.conv as string;
  for (const u of [al, bea]) assert.equal((await cy.client.request('room', { id: room, action: 'invite', user: u.id })).code, 200);
  assert.equal((await bea.client.request('dm', { conv: dm, blocked: true })).code, 200);
  return { al, bea, cy, dm, room };
}

for (const backend of backends()) {
  test(`[${backend}] blocked user gets no pres from the blocker, in the DM and shared rooms; unblocking restores it`, () =>
    withServer(backend, async (s) => {
      const { al, bea, cy, dm } = await blockedSetup(s);
      bea.client.close();
      await cy.client.waitFor((f) => f.pres?.user === bea.id && f.pres.what === 'off');
      const beaAgain = await login(s, bea);
      await cy.client.waitFor((f) => f.pres?.user === bea.id && f.pres.what === 'on');
      await flushPres(s, al);
      assert.deepEqual(presOf(al.client, bea.id), [], 'no on/off, no last seen of the blocker');

      assert.equal((await beaAgain.request('dm', { conv: dm, blocked: false })).code, 200);
      beaAgain.close();
      const off = await al.client.waitFor((f) => f.pres?.user === bea.id && f.pres.what === 'off');
      assert.equal(typeof off.pres.lastSeen, 'string', 'unblocked: presence flows again');
    }));

  test(`[${backend}] blocker looks like a never-online user to the blocked in get user, dm, conversations, members, search, contacts`, () =>
    withServer(backend, async (s) => {
      const { al, bea, dm, room } = await blockedSetup(s);
      const nobodyId = await neverOnline(s, 'nobody_here');
      const never = (await al.client.request('get', { what: 'user', user: nobodyId })).params.user;
      assert.deepEqual({ online: never.online, lastSeen: never.lastSeen }, { online: false, lastSeen: null });
      const hidden = { id: bea.id, public: { fn: 'beatrix' }, online: false, lastSeen: null };

      assert.deepEqual((await al.client.request('get', { what: 'user', user: bea.id })).params.user, hidden);
      assert.deepEqual((await al.client.request('dm', { user: bea.id })).params.user, hidden);
      const convs = (await al.client.request('get', { what: 'conversations' })).params.conversations;
      assert.deepEqual(convs.find((c: any) => c.id === dm).user, hidden);
      assert.deepEqual((await al.client.request('get', { what: 'conversation', conv: dm })).params.conversation.user, hidden);
      const members = (await al.client.request('get', { what: 'members', conv: room })).params.members;
      assert.deepEqual(
        members.find((m: any) => m.id === bea.id),
        hidden,
      );
      assert.deepEqual(Object.keys(hidden).sort(), Object.keys(never).sort(), 'same shape as a never-online user');
      const found = (await al.client.request('search', { query: 'beatrix' })).params.users;
      assert.deepEqual(
        found.find((u: any) => u.id === bea.id),
        hidden,
      );
      assert.equal((await al.client.request('contact', { add: bea.id })).code, 200);
      assert.equal((await al.client.request('contact', { add: nobodyId })).code, 200);
      const contacts = (await al.client.request('get', { what: 'contacts' })).params.contacts;
      const strip = (c: any) => ({ online: c.online, lastSeen: c.lastSeen, keys: Object.keys(c).sort() });
      assert.deepEqual(strip(contacts.find((c: any) => c.user === bea.id)), strip(contacts.find((c: any) => c.user === nobodyId)));
      assert.equal(contacts.find((c: any) => c.user === bea.id).online, false);

      // Others still see her as she is; unblocking restores what Al sees.
      const cyView = await s.user('cyrus_two');
      const seen = (await cyView.client.request('get', { what: 'user', user: bea.id })).params.user;
      assert.equal(seen.online, true);
      assert.equal(typeof seen.lastSeen, 'string');
      assert.equal((await bea.client.request('dm', { conv: dm, blocked: false })).code, 200);
      const after = (await al.client.request('get', { what: 'user', user: bea.id })).params.user;
      assert.equal(after.online, true);
      assert.equal(typeof after.lastSeen, 'string');
    }));

  test(`[${backend}] blocked user gets no typing, read or recv from the blocker, in the DM and shared rooms`, () =>
    withServer(backend, async (s) => {
      const { al, bea, cy, dm, room } = await blockedSetup(s);
      await insertMessage(s, dm, al.id, 1);
      await insertMessage(s, room, cy.id, 1);
      for (const conv of [dm, room]) {
        bea.client.send({ typing: { conv } });
        assert.equal((await bea.client.request('recv', { conv, seq: 1 })).code, 200);
        assert.equal((await bea.client.request('read', { conv, seq: 1 })).code, 200);
      }
      await cy.client.waitFor((f) => f.info?.conv === room && f.info.from === bea.id && f.info.what === 'read');
      assert.ok(cy.client.frames.some((f) => f.info?.conv === room && f.info.from === bea.id && f.info.what === 'typing'));
      // A marker sent after everything above: Al has received whatever was fanned out to him.
      assert.equal((await bea.client.request('send', { conv: dm, content: { v: 1, text: 'marker' } })).code, 202);
      assert.equal((await cy.client.request('send', { conv: room, content: { v: 1, text: 'marker' } })).code, 202);
      await al.client.waitFor((f) => f.data?.conv === dm && f.data.from === bea.id);
      await al.client.waitFor((f) => f.data?.conv === room && f.data.from === cy.id);
      assert.deepEqual(
        al.client.frames.filter((f) => f.info?.from === bea.id).map((f) => f.info.what),
        [],
        'no typing and no receipts of the blocker',
      );
      for (const conv of [dm, room]) {
        const receipts = (await al.client.request('get', { what: 'receipts', conv })).params.receipts;
        assert.deepEqual(
          receipts.find((r: any) => r.user === bea.id),
          { user: bea.id, readSeq: 0, recvSeq: 0 },
        );
      }
      const cyReceipts = (await cy.client.request('get', { what: 'receipts', conv: room })).params.receipts;
      assert.deepEqual(
        cyReceipts.find((r: any) => r.user === bea.id),
        { user: bea.id, readSeq: 1, recvSeq: 1 },
      );

      assert.equal((await bea.client.request('dm', { conv: dm, blocked: false })).code, 200);
      // A new session: typing is capped at one per second per session.
      const beaAgain = await login(s, bea);
      beaAgain.send({ typing: { conv: dm } });
      await al.client.waitFor((f) => f.info?.conv === dm && f.info.from === bea.id && f.info.what === 'typing');
      assert.equal((await beaAgain.request('read', { conv: room, seq: 2 })).code, 200);
      await al.client.waitFor((f) => f.info?.conv === room && f.info.from === bea.id && f.info.what === 'read');
    }));

  test(`[${backend}] blocked user cannot change the DM's disappearing TTL or pin; the blocker still can`, () =>
    withServer(backend, async (s) => {
      const { al, bea, dm } = await blockedSetup(s);
      await insertMessage(s, dm, al.id, 1);
      assert.deepEqual(pick(await al.client.request('dm', { conv: dm, disappearingTTL: 10 })), [403, 'blocked']);
      assert.deepEqual(pick(await al.client.request('dm', { conv: dm, disappearingTTL: 10, muted: true })), [403, 'blocked']);
      assert.deepEqual(pick(await al.client.request('pin', { conv: dm, seq: 1 })), [403, 'blocked']);
      let conv = (await bea.client.request('get', { what: 'conversation', conv: dm })).params.conversation;
      assert.equal(conv.disappearingTTL, undefined, 'the TTL did not change');
      assert.equal(conv.pinnedSeq, undefined, 'nothing was pinned');
      const mine = (await al.client.request('get', { what: 'conversation', conv: dm })).params.conversation;
      assert.equal(mine.muted, false, 'nothing of the refused request was applied');
      // His own per-user flags stay his.
      assert.equal((await al.client.request('dm', { conv: dm, favorite: true })).code, 200);

      assert.equal((await bea.client.request('pin', { conv: dm, seq: 1 })).code, 200);
      assert.deepEqual(pick(await al.client.request('pin', { conv: dm, seq: 0 })), [403, 'blocked']);
      assert.equal((await bea.client.request('dm', { conv: dm, disappearingTTL: 3600 })).code, 200);
      conv = (await bea.client.request('get', { what: 'conversation', conv: dm })).params.conversation;
      assert.equal(conv.pinnedSeq, 1, 'unpin refused');
      assert.equal(conv.disappearingTTL, 3600);

      assert.equal((await bea.client.request('dm', { conv: dm, blocked: false })).code, 200);
      assert.equal((await al.client.request('dm', { conv: dm, disappearingTTL: 0 })).code, 200);
    }));

  test(`[${backend}] blocked user cannot edit, unsend, delete for everyone or react in the DM: the blocker's history stays as it was`, () =>
    withServer(backend, async (s) => {
      const al = await s.user('alden');
      const bea = await s.user('beatrix');
      const dm = (await al.client.request('dm', { user: bea.id })).params.conv as string;
      for (const text of ['one', 'two']) assert.equal((await al.client.request('send', { conv: dm, content: { v: 1, text } })).code, 202);
      assert.equal((await bea.client.request('send', { conv: dm, content: { v: 1, text: 'hers' } })).code, 202);
      assert.equal((await bea.client.request('dm', { conv: dm, blocked: true })).code, 200);
      const history = async () => (await bea.client.request('get', { what: 'messages', conv: dm })).params;
      const before = await history();

      assert.deepEqual(pick(await al.client.request('edit', { conv: dm, seq: 1, content: { v: 1, text: 'harmless' } })), [403, 'blocked']);
      assert.deepEqual(pick(await al.client.request('unsend', { conv: dm, seq: 1 })), [403, 'blocked']);
      assert.deepEqual(pick(await al.client.request('delete', { conv: dm, seq: 2, forEveryone: true })), [403, 'blocked']);
      assert.deepEqual(pick(await al.client.request('react', { conv: dm, seq: 3, emoji: '👍' })), [403, 'blocked']);
      // Someone else's message is still "not your message"; his own copy is his to hide.
      assert.deepEqual(pick(await al.client.request('unsend', { conv: dm, seq: 3 })), [403, 'not your message']);
      assert.equal((await al.client.request('delete', { conv: dm, seq: 2 })).code, 200);
      assert.deepEqual(await history(), before, 'her history is unchanged');
      assert.equal(
        bea.client.frames.some((f) => f.info && f.info.from === al.id),
        false,
      );

      // The blocker keeps every power over her own messages.
      assert.equal((await bea.client.request('edit', { conv: dm, seq: 3, content: { v: 1, text: 'hers, edited' } })).code, 200);
      assert.equal((await bea.client.request('dm', { conv: dm, blocked: false })).code, 200);
      assert.equal((await al.client.request('react', { conv: dm, seq: 3, emoji: '👍' })).code, 200);
    }));

  test(`[${backend}] a user who blocked the inviter cannot be invited into their room`, () =>
    withServer(backend, async (s) => {
      const { al, bea, dm } = await blockedSetup(s);
      const room = (await al.client.request('room', { action: 'create', desc: { public: { fn: 'his' } } })).params.conv as string;
      assert.deepEqual(pick(await al.client.request('room', { id: room, action: 'invite', user: bea.id })), [403, 'blocked']);
      const members = (await al.client.request('get', { what: 'members', conv: room })).params.members;
      assert.deepEqual(
        members.map((m: any) => m.id),
        [al.id],
      );
      assert.equal(
        bea.client.frames.some((f) => f.info?.conv === room),
        false,
      );
      // The blocker may still invite the one she blocked; unblocking lifts the refusal.
      const hers = (await bea.client.request('room', { action: 'create' })).params.conv as string;
      assert.equal((await bea.client.request('room', { id: hers, action: 'invite', user: al.id })).code, 200);
      assert.equal((await bea.client.request('dm', { conv: dm, blocked: false })).code, 200);
      assert.equal((await al.client.request('room', { id: room, action: 'invite', user: bea.id })).code, 200);
    }));
}
