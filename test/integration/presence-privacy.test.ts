import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestClient } from '../helpers/client.js';
import { backends, withServer, type TestServer } from '../helpers/server.js';
import { insertMessage, pick, type TestUser } from '../helpers/conversation-fixtures.js';
import { flushPres, login, presOf } from '../helpers/presence.js';

async function setPrivacy(u: TestUser, privacy: Record<string, unknown>) {
  const r = await u.client.request('acc', { user: 'me', privacy });
  assert.equal(r.code, 200, JSON.stringify(r));
  return r.params.privacy;
}

/** Everything `viewer` can read of `subject`'s presence, in every place presence shows. */
async function everyView(viewer: TestUser, subject: TestUser, dm: string, room: string) {
  const c = viewer.client;
  const contacts = (await c.request('get', { what: 'contacts' })).params.contacts;
  const contact = contacts.find((x: any) => x.user === subject.id);
  return {
    user: (await c.request('get', { what: 'user', user: subject.id })).params.user,
    dm: (await c.request('dm', { user: subject.id })).params.user,
    conversations: (await c.request('get', { what: 'conversations' })).params.conversations.find((x: any) => x.id === dm).user,
    conversation: (await c.request('get', { what: 'conversation', conv: dm })).params.conversation.user,
    members: (await c.request('get', { what: 'members', conv: room })).params.members.find((m: any) => m.id === subject.id),
    search: (await c.request('search', { query: subject.name })).params.users.find((u: any) => u.id === subject.id),
    contact: contact && { online: contact.online, lastSeen: contact.lastSeen ?? null },
  };
}

/** Bea with Al in a DM and in Cy's room. */
async function setup(s: TestServer) {
  const al = await s.user('alden');
  const bea = await s.user('beatrix');
  const cy = await s.user('cyrus');
  const dm = (await al.client.request('dm', { user: bea.id })).params.conv as string;
  const room = (await cy.client.request('room', { action: 'create', desc: { public: { fn: 'shared' } } })).params.conv as string;
  for (const u of [al, bea]) assert.equal((await cy.client.request('room', { id: room, action: 'invite', user: u.id })).code, 200);
  return { al, bea, cy, dm, room };
}

for (const backend of backends()) {
  test(`[${backend}] acc me privacy: defaults, reply and her own get user show the settings, nobody else sees them; bad values change nothing`, () =>
    withServer(backend, async (s) => {
      const bea = await s.user('beatrix');
      const al = await s.user('alden');
      const own = async () => (await bea.client.request('get', { what: 'user', user: bea.id })).params.user;
      assert.deepEqual((await own()).privacy, { presence: 'everyone', readReceipts: true });
      assert.deepEqual(await setPrivacy(bea, {}), { presence: 'everyone', readReceipts: true }, 'an empty object reads them');
      assert.deepEqual(await setPrivacy(bea, { presence: 'contacts' }), { presence: 'contacts', readReceipts: true });
      assert.deepEqual(await setPrivacy(bea, { readReceipts: false }), { presence: 'contacts', readReceipts: false });
      assert.deepEqual((await own()).privacy, { presence: 'contacts', readReceipts: false });
      const other = (await al.client.request('get', { what: 'user', user: bea.id })).params.user;
      assert.deepEqual(Object.keys(other).sort(), ['id', 'lastSeen', 'online', 'public']);

      assert.deepEqual(pick(await bea.client.request('acc', { user: 'me', lang: 'fr', privacy: { presence: 'friends' } })), [400, 'invalid privacy setting']);
      assert.deepEqual(pick(await bea.client.request('acc', { user: 'me', privacy: { readReceipts: 'no' } })), [400, 'malformed message']);
      assert.deepEqual(pick(await bea.client.request('acc', { user: 'me', privacy: 'nobody' })), [400, 'malformed message']);
      const after = await own();
      assert.deepEqual(after.privacy, { presence: 'contacts', readReceipts: false }, 'nothing of a refused request applies');
      const login = await s.connect();
      const r = await login.request('login', { scheme: 'token', secret: bea.token });
      assert.equal(r.params.lang, undefined, 'the lang sent with the bad setting was not applied');
      login.close();
    }));

  test(`[${backend}] presence nobody: she looks never online everywhere, no pres; typing still goes; the change itself sends no frame`, () =>
    withServer(backend, async (s) => {
      const { al, bea, cy, dm, room } = await setup(s);
      assert.equal((await al.client.request('contact', { add: bea.id })).code, 200);
      assert.equal((await bea.client.request('contact', { add: al.id })).code, 200);
      const visible = await everyView(al, bea, dm, room);
      assert.equal(visible.user.online, true);

      await setPrivacy(bea, { presence: 'nobody' });
      await flushPres(s, al);
      assert.deepEqual(presOf(al.client, bea.id), [], 'no off at the moment she changes it');
      const never = { id: bea.id, public: { fn: 'beatrix' }, online: false, lastSeen: null };
      const v = await everyView(al, bea, dm, room);
      for (const place of ['user', 'dm', 'conversations', 'conversation', 'members', 'search'] as const) assert.deepEqual(v[place], never, place);
      assert.deepEqual(v.contact, { online: false, lastSeen: null }, 'even to a contact she added');

      bea.client.close();
      const beaAgain = await login(s, bea);
      await flushPres(s, al);
      await flushPres(s, cy);
      assert.deepEqual(presOf(al.client, bea.id), [], 'no on, no off, no last seen');
      assert.deepEqual(presOf(cy.client, bea.id), []);
      const self = (await beaAgain.request('get', { what: 'user', user: bea.id })).params.user;
      assert.equal(self.online, true, 'she still sees herself');
      assert.equal(typeof self.lastSeen, 'string');

      beaAgain.send({ typing: { conv: room } });
      await cy.client.waitFor((f) => f.info?.conv === room && f.info.from === bea.id && f.info.what === 'typing');

      // Back to everyone: no frame for the change; her next change of presence is told.
      const beaAgain2 = await login(s, bea);
      assert.equal((await beaAgain2.request('acc', { user: 'me', privacy: { presence: 'everyone' } })).code, 200);
      await flushPres(s, al);
      assert.deepEqual(presOf(al.client, bea.id), []);
      assert.equal((await al.client.request('get', { what: 'user', user: bea.id })).params.user.online, true);
      beaAgain.close();
      beaAgain2.close();
      const off = await al.client.waitFor((f) => f.pres?.user === bea.id && f.pres.what === 'off');
      assert.equal(typeof off.pres.lastSeen, 'string');
    }));

  test(`[${backend}] presence contacts: only people she added herself see her; someone who added her does not until she adds him`, () =>
    withServer(backend, async (s) => {
      const { al, bea, cy, dm, room } = await setup(s);
      await setPrivacy(bea, { presence: 'contacts' });
      assert.equal((await bea.client.request('contact', { add: cy.id })).code, 200);
      assert.equal((await al.client.request('contact', { add: bea.id })).code, 200, 'he adds her');
      const hers = (await bea.client.request('get', { what: 'contacts' })).params.contacts.map((c: any) => c.user).sort();
      assert.deepEqual(hers, [cy.id], 'his add does not put him in her list, and does not count');

      bea.client.close();
      await cy.client.waitFor((f) => f.pres?.user === bea.id && f.pres.what === 'off');
      const beaAgain = await login(s, bea);
      await cy.client.waitFor((f) => f.pres?.user === bea.id && f.pres.what === 'on');
      await flushPres(s, al);
      assert.deepEqual(presOf(al.client, bea.id), []);
      const never = { id: bea.id, public: { fn: 'beatrix' }, online: false, lastSeen: null };
      const v = await everyView(al, bea, dm, room);
      for (const place of ['user', 'dm', 'conversations', 'conversation', 'members', 'search'] as const) assert.deepEqual(v[place], never, place);
      assert.deepEqual(v.contact, { online: false, lastSeen: null });
      assert.equal((await cy.client.request('get', { what: 'user', user: bea.id })).params.user.online, true, 'her contact sees her');

      // She adds him herself: now he counts.
      assert.equal((await beaAgain.request('contact', { add: al.id })).code, 200);
      assert.equal((await al.client.request('get', { what: 'user', user: bea.id })).params.user.online, true);
      beaAgain.close();
      await al.client.waitFor((f) => f.pres?.user === bea.id && f.pres.what === 'off');
      // He removes the contact (both directions): he no longer counts.
      const beaThird = await login(s, bea);
      assert.equal((await al.client.request('contact', { remove: bea.id })).code, 200);
      assert.deepEqual((await al.client.request('get', { what: 'user', user: bea.id })).params.user, never);

      // A block applies on top: her contact Cy, once blocked, sees nothing.
      const cyDm = (await cy.client.request('dm', { user: bea.id })).params.conv;
      assert.equal((await beaThird.request('dm', { conv: cyDm, blocked: true })).code, 200);
      assert.deepEqual((await cy.client.request('get', { what: 'user', user: bea.id })).params.user, never);
    }));

  test(`[${backend}] readReceipts false: her read moves her own position, nobody is told, get receipts shows others 0; deliveries stay`, () =>
    withServer(backend, async (s) => {
      const { al, bea, cy, dm, room } = await setup(s);
      await setPrivacy(bea, { readReceipts: false });
      for (const conv of [dm, room]) {
        await insertMessage(s, conv, al.id, 1);
        await insertMessage(s, conv, al.id, 2);
        assert.equal((await bea.client.request('recv', { conv, seq: 2 })).code, 200);
        const r = await bea.client.request('read', { conv, seq: 2 });
        assert.deepEqual([r.code, r.params.seq], [200, 2]);
      }
      await al.client.waitFor((f) => f.info?.conv === dm && f.info.from === bea.id && f.info.what === 'recv');
      await cy.client.waitFor((f) => f.info?.conv === room && f.info.from === bea.id && f.info.what === 'recv');
      // Marker after the reads: anything fanned out to Al and Cy has arrived.
      assert.equal((await bea.client.request('send', { conv: dm, content: { v: 1, text: 'marker' } })).code, 202);
      assert.equal((await bea.client.request('send', { conv: room, content: { v: 1, text: 'marker' } })).code, 202);
      await al.client.waitFor((f) => f.data?.conv === dm && f.data.from === bea.id);
      await cy.client.waitFor((f) => f.data?.conv === room && f.data.from === bea.id);
      for (const c of [al.client, cy.client]) assert.equal(c.frames.filter((f) => f.info?.from === bea.id && f.info.what === 'read').length, 0);

      for (const [viewer, conv] of [
        [al, dm],
        [al, room],
        [cy, room],
      ] as const) {
        const receipts = (await viewer.client.request('get', { what: 'receipts', conv })).params.receipts;
        assert.deepEqual(
          receipts.find((r: any) => r.user === bea.id),
          { user: bea.id, readSeq: 0, recvSeq: 2 },
        );
      }
      const mine = (await bea.client.request('get', { what: 'receipts', conv: dm })).params.receipts;
      assert.deepEqual(
        mine.find((r: any) => r.user === bea.id),
        { user: bea.id, readSeq: 2, recvSeq: 2 },
        'her own position moved',
      );
      const conv = (await bea.client.request('get', { what: 'conversation', conv: room })).params.conversation;
      assert.equal(conv.readSeq, 2);

      // Others' receipts reach her as before.
      assert.equal((await al.client.request('read', { conv: dm, seq: 2 })).code, 200);
      await bea.client.waitFor((f) => f.info?.conv === dm && f.info.from === al.id && f.info.what === 'read');
    }));

  test(`[${backend}] presence hidden: her delivery receipts are not told either (they show she is online); reads still are`, () =>
    withServer(backend, async (s) => {
      const { al, bea, cy, room } = await setup(s);
      await setPrivacy(bea, { presence: 'contacts' });
      assert.equal((await bea.client.request('contact', { add: cy.id })).code, 200);
      await insertMessage(s, room, al.id, 1);
      await insertMessage(s, room, al.id, 2);
      assert.equal((await bea.client.request('recv', { conv: room, seq: 2 })).code, 200);
      assert.equal((await bea.client.request('read', { conv: room, seq: 1 })).code, 200);
      await cy.client.waitFor((f) => f.info?.from === bea.id && f.info.what === 'recv');
      await al.client.waitFor((f) => f.info?.from === bea.id && f.info.what === 'read');
      assert.equal((await bea.client.request('send', { conv: room, content: { v: 1, text: 'marker' } })).code, 202);
      await al.client.waitFor((f) => f.data?.conv === room && f.data.from === bea.id);
      assert.deepEqual(
        al.client.frames.filter((f) => f.info?.from === bea.id).map((f) => f.info.what),
        ['read'],
      );
      const seen = async (u: TestUser) => (await u.client.request('get', { what: 'receipts', conv: room })).params.receipts.find((r: any) => r.user === bea.id);
      assert.deepEqual(await seen(al), { user: bea.id, readSeq: 1, recvSeq: 1 }, 'what she read she received; no more');
      assert.deepEqual(await seen(cy), { user: bea.id, readSeq: 1, recvSeq: 2 });
      await setPrivacy(bea, { readReceipts: false });
      assert.deepEqual(await seen(al), { user: bea.id, readSeq: 0, recvSeq: 0 }, 'like a member who never came online');
    }));
}
