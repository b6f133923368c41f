import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startServer, backends } from '../helpers/server.js';
import type { Frame } from '../helpers/client.js';
import { pick, roomWithRoles, type TestUser as U } from '../helpers/conversation-fixtures.js';

for (const backend of backends()) {
  test(`[${backend}] room create, invite, leave with the notifications of §4.2`, async () => {
    const s = await startServer(backend);
    try {
      const owner = await s.user();
      const ann = await s.user(undefined, { fn: 'Ann' });
      const bob = await s.user();
      const ownerPhone = await s.connect();
      assert.equal((await ownerPhone.request('login', { scheme: 'token', secret: owner.token })).code, 200);

      const c = await owner.client.request('room', { id: 'new', action: 'create', desc: { public: { fn: 'Support circle' } } });
      assert.equal(c.code, 201);
      assert.deepEqual(c.params.public, { fn: 'Support circle' });
      const conv = c.params.conv as string;

      const inv = await owner.client.request('room', { id: conv, action: 'invite', user: ann.id });
      assert.equal(inv.code, 200);
      assert.equal(inv.params.conv, conv);
      assert.equal(inv.params.user, ann.id);
      assert.deepEqual(inv.params.public, { fn: 'Ann' });
      assert.equal(typeof inv.params.ts, 'string');
      // member_joined reaches every session, the requesting socket included, and the new member.
      for (const client of [owner.client, ownerPhone, ann.client]) {
        const f = await client.waitFor((x) => x.info?.what === 'member_joined' && x.info.user === ann.id);
        assert.equal(f.info.from, owner.id);
        assert.equal(f.info.conv, conv);
      }
      await owner.client.request('room', { id: conv, action: 'invite', user: bob.id });
      await bob.client.waitFor((x) => x.info?.what === 'member_joined' && x.info.user === bob.id);

      const leaveWait = owner.client.next((x) => x.info?.what === 'member_left');
      const l = await ann.client.request('room', { id: conv, action: 'leave' });
      assert.equal(l.code, 200);
      assert.deepEqual(Object.keys(l.params).sort(), ['conv', 'ts']);
      const left = await leaveWait;
      assert.equal(left.info.from, ann.id);
      assert.equal(left.info.user, undefined);
      await bob.client.waitFor((x) => x.info?.what === 'member_left');

      // Ann is gone: nothing of the room is hers any more.
      assert.deepEqual(pick(await ann.client.request('get', { what: 'members', conv })), [403, 'not a member']);
      assert.deepEqual(pick(await ann.client.request('room', { id: conv, action: 'leave' })), [403, 'not a member']);
      const members = await owner.client.request('get', { what: 'members', conv });
      assert.deepEqual(members.params.members.map((m: Frame) => m.id).sort(), [owner.id, bob.id].sort());
      assert.equal(members.params.members.find((m: Frame) => m.id === bob.id).online, true);

      assert.deepEqual(pick(await owner.client.request('room', { id: conv, action: 'leave' })), [403, 'owner cannot leave room']);
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] kicked user hears member_kicked, then is locked out`, async () => {
    const s = await startServer(backend);
    try {
      const { owner, admin, member, conv } = await roomWithRoles(s);
      const heard = member.client.next((x) => x.info?.what === 'member_kicked');
      const ownerHeard = owner.client.next((x) => x.info?.what === 'member_kicked');
      const k = await admin.client.request('room', { id: conv, action: 'kick', user: member.id });
      assert.equal(k.code, 200);
      assert.deepEqual(k.params.user, member.id);
      assert.equal(k.params.conv, conv);
      const f = await heard;
      assert.equal(f.info.user, member.id);
      assert.equal(f.info.from, admin.id);
      await ownerHeard;
      await admin.client.waitFor((x) => x.info?.what === 'member_kicked');

      assert.deepEqual(pick(await member.client.request('get', { what: 'conversation', conv })), [403, 'not a member']);
      assert.deepEqual(pick(await member.client.request('get', { what: 'receipts', conv })), [403, 'not a member']);
      assert.deepEqual(pick(await member.client.request('pin', { conv, seq: 0 })), [403, 'not a member']);
      assert.deepEqual(pick(await member.client.request('clear', { conv, seq: 1 })), [403, 'not a member']);
      assert.deepEqual(pick(await member.client.request('dm', { conv, muted: true })), [403, 'not a member']);
      const list = await member.client.request('get', { what: 'conversations' });
      assert.deepEqual(list.params.conversations, []);

      // Nothing the room does afterwards reaches the kicked user (the marker arrives first).
      await owner.client.request('room', { id: conv, action: 'update', noScreenshots: true });
      await admin.client.waitFor((x) => x.info?.what === 'room_updated');
      await member.client.request('get', { what: 'conversations' });
      assert.equal(
        member.client.frames.some((x) => x.info?.what === 'room_updated'),
        false,
      );

      // Re-inviting the removed user brings them back as a plain member.
      assert.equal((await admin.client.request('room', { id: conv, action: 'invite', user: member.id })).code, 200);
      assert.equal((await member.client.request('get', { what: 'conversation', conv })).code, 200);
      assert.deepEqual(pick(await member.client.request('room', { id: conv, action: 'kick', user: admin.id })), [403, 'only owner or admin can kick']);
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] kick refusals in the spec's order`, async () => {
    const s = await startServer(backend);
    try {
      const { owner, admin, admin2, member, conv } = await roomWithRoles(s);
      const stranger = await s.user();
      const kick = (u: U, user: string) => u.client.request('room', { id: conv, action: 'kick', user });
      assert.deepEqual(pick(await owner.client.request('room', { id: 'bad', action: 'kick', user: member.id })), [400, 'invalid room id']);
      assert.deepEqual(pick(await owner.client.request('room', { id: conv, action: 'kick' })), [400, 'invalid user id']);
      assert.deepEqual(pick(await kick(owner, 'bad')), [400, 'invalid user id']);
      assert.deepEqual(pick(await kick(stranger, member.id)), [403, 'not a member']);
      assert.deepEqual(pick(await kick(member, admin.id)), [403, 'only owner or admin can kick']);
      assert.deepEqual(pick(await kick(owner, stranger.id)), [404, 'user not a member']);
      assert.deepEqual(pick(await kick(owner, randomUUID())), [404, 'user not a member']);
      assert.deepEqual(pick(await kick(admin, owner.id)), [403, 'cannot kick owner']);
      assert.deepEqual(pick(await kick(owner, owner.id)), [403, 'cannot kick owner']);
      assert.deepEqual(pick(await kick(admin, admin2.id)), [403, 'admin cannot kick admin']);
      assert.deepEqual(pick(await kick(admin, admin.id)), [403, 'admin cannot kick admin']);
      assert.equal((await kick(owner, admin2.id)).code, 200);
      assert.deepEqual(pick(await kick(owner, admin2.id)), [404, 'user not a member']);
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] owner promotes and demotes; invite never demotes`, async () => {
    const s = await startServer(backend);
    try {
      const owner = await s.user();
      const ann = await s.user();
      const bob = await s.user();
      const conv = (await owner.client.request('room', { id: 'new', action: 'create' })).params.conv;
      await owner.client.request('room', { id: conv, action: 'invite', user: ann.id });
      await owner.client.request('room', { id: conv, action: 'invite', user: bob.id });
      assert.deepEqual(pick(await ann.client.request('room', { id: conv, action: 'invite', user: bob.id })), [403, 'only owner or admin can invite']);

      const heard = bob.client.next((x) => x.info?.what === 'role_changed');
      const ownHeard = owner.client.next((x) => x.info?.what === 'role_changed');
      const p = await owner.client.request('room', { id: conv, action: 'role', user: ann.id, role: 'admin' });
      assert.equal(p.code, 200);
      assert.deepEqual({ ...p.params, ts: undefined }, { conv, user: ann.id, role: 'admin', ts: undefined });
      const f = await heard;
      assert.equal(f.info.user, ann.id);
      assert.equal(f.info.from, owner.id);
      assert.deepEqual(f.info.content, { role: 'admin' });
      await ownHeard;

      // Ann is an admin now: she may invite, and inviting the owner or herself changes no role.
      assert.equal((await ann.client.request('room', { id: conv, action: 'invite', user: owner.id })).code, 200);
      assert.equal((await ann.client.request('room', { id: conv, action: 'invite', user: ann.id })).code, 200);
      assert.equal((await ann.client.request('room', { id: conv, action: 'kick', user: bob.id })).code, 200);
      assert.deepEqual(pick(await ann.client.request('room', { id: conv, action: 'kick', user: owner.id })), [403, 'cannot kick owner']);
      assert.deepEqual(pick(await owner.client.request('room', { id: conv, action: 'leave' })), [403, 'owner cannot leave room']);

      const role = (body: Frame, u: U = owner) => u.client.request('room', { id: conv, action: 'role', ...body });
      assert.deepEqual(pick(await role({ user: owner.id, role: 'member' }, ann)), [403, 'only owner can change roles']);
      assert.deepEqual(pick(await role({ user: owner.id, role: 'member' })), [403, 'cannot change owner role']);
      assert.deepEqual(pick(await role({ user: ann.id, role: 'owner' })), [400, 'invalid role']);
      assert.deepEqual(pick(await role({ user: ann.id })), [400, 'invalid role']);
      assert.deepEqual(pick(await role({ user: 'x', role: 'admin' })), [400, 'invalid user id']);
      assert.deepEqual(pick(await role({ user: bob.id, role: 'admin' })), [404, 'user not a member']);

      assert.equal((await role({ user: ann.id, role: 'member' })).code, 200);
      assert.deepEqual(pick(await ann.client.request('room', { id: conv, action: 'invite', user: bob.id })), [403, 'only owner or admin can invite']);
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] update applies every given part and keeps public data without desc`, async () => {
    const s = await startServer(backend);
    try {
      const { owner, admin, member, conv } = await roomWithRoles(s);
      const ownerPhone = await s.connect();
      await ownerPhone.request('login', { scheme: 'token', secret: owner.token });

      const mark = owner.client.frames.length;
      const phoneMark = ownerPhone.frames.length;
      const u = await owner.client.request('room', { id: conv, action: 'update', disappearingTTL: 3600, noScreenshots: true, desc: { public: { fn: 'New' } } });
      assert.equal(u.code, 200);
      assert.deepEqual(u.params, { conv, disappearingTTL: 3600, noScreenshots: true, public: { fn: 'New' } });
      const ttl = await member.client.waitFor((x) => x.info?.what === 'disappearing_updated');
      assert.equal(ttl.info.ttl, 3600);
      await member.client.waitFor((x) => x.info?.what === 'room_updated' && x.info.content === undefined);
      const pub = await member.client.waitFor((x) => x.info?.what === 'room_updated' && x.info.content !== undefined);
      assert.deepEqual(pub.info.content, { fn: 'New' });
      // The requester's other device gets all three; the requesting socket skips the public-data one.
      await ownerPhone.waitFor((x) => x.info?.what === 'room_updated' && x.info.content !== undefined);
      assert.equal(ownerPhone.frames.slice(phoneMark).filter((x) => x.info).length, 3);
      await owner.client.waitFor((x) => x.info?.what === 'room_updated' && x.info.content === undefined);
      await owner.client.request('get', { what: 'conversations' });
      assert.deepEqual(
        owner.client.frames
          .slice(mark)
          .filter((x) => x.info)
          .map((x) => x.info.what),
        ['disappearing_updated', 'room_updated'],
      );

      const only = await admin.client.request('room', { id: conv, action: 'update', noScreenshots: false });
      assert.deepEqual(only.params, { conv, noScreenshots: false });
      const off = await admin.client.request('room', { id: conv, action: 'update', disappearingTTL: 0 });
      assert.deepEqual(off.params, { conv, disappearingTTL: null });
      const offInfo = await member.client.waitFor((x) => x.info?.what === 'disappearing_updated' && x.info.from === admin.id);
      assert.equal('ttl' in offInfo.info, false);
      assert.deepEqual((await admin.client.request('room', { id: conv, action: 'update' })).params, { conv });

      const got = await member.client.request('get', { what: 'conversation', conv });
      assert.deepEqual(got.params.conversation.public, { fn: 'New' });
      assert.equal('disappearingTTL' in got.params.conversation, false);
      assert.equal('noScreenshots' in got.params.conversation, false);

      const cleared = await owner.client.request('room', { id: conv, action: 'update', desc: { public: null } });
      assert.deepEqual(cleared.params, { conv, public: null });
      const nulled = await member.client.waitFor((x) => x.info?.what === 'room_updated' && x.info.content === null);
      assert.equal(nulled.info.from, owner.id);

      assert.deepEqual(pick(await owner.client.request('room', { id: conv, action: 'update', disappearingTTL: 5, noScreenshots: true })), [
        400,
        'invalid TTL value',
      ]);
      assert.equal('noScreenshots' in (await member.client.request('get', { what: 'conversation', conv })).params.conversation, false);
      assert.deepEqual(pick(await member.client.request('room', { id: conv, action: 'update', noScreenshots: true })), [403, 'only owner or admin can update']);
      assert.deepEqual(pick(await member.client.request('room', { id: 'x', action: 'update' })), [400, 'invalid room id']);
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] room actions on a DM and unknown actions`, async () => {
    const s = await startServer(backend);
    try {
      const a = await s.user();
      const b = await s.user();
      const c = await s.user();
      const conv = (await a.client.request('dm', { user: b.id })).params.conv;
      for (const body of [
        { action: 'leave' },
        { action: 'invite', user: c.id },
        { action: 'kick', user: b.id },
        { action: 'update', noScreenshots: true },
        { action: 'role', user: b.id, role: 'admin' },
      ]) {
        assert.deepEqual(pick(await a.client.request('room', { id: conv, ...body })), [400, 'not a room'], body.action);
      }
      assert.equal((await a.client.request('get', { what: 'conversation', conv })).code, 200);
      for (const action of ['join', '', 'CREATE', undefined]) {
        assert.deepEqual(pick(await a.client.request('room', { id: conv, action })), [400, 'unknown room action']);
      }
      assert.deepEqual(pick(await a.client.request('room', { id: conv, action: 'create', desc: 'x' })), [400, 'malformed message']);
      assert.deepEqual(pick(await a.client.request('room', { id: 'new', action: 'create', desc: { public: { fn: 'a\u0000b' } } })), [400, 'malformed message']);
      const pub = await a.client.request('room', { id: 'new', action: 'create' });
      assert.equal(pub.code, 201);
      assert.equal(pub.params.public, null);
    } finally {
      await s.close();
    }
  });
}
