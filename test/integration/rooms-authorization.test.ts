import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backends, type TestServer } from '../helpers/server.js';
import type { Frame } from '../helpers/client.js';
import { insertMessage, pick, roomWithRoles, type TestUser } from '../helpers/conversation-fixtures.js';

type Who = 'owner' | 'admin' | 'member' | 'removed' | 'outsider';
const WHO: Who[] = ['owner', 'admin', 'member', 'removed', 'outsider'];
const NOT_MEMBER: [number, string] = [403, 'not a member'];

interface Case {
  op: string;
  /** The request body; `target` is a fresh active member invited by the owner for this one request. */
  body: (conv: string, target: string) => Frame;
  expect: Record<Who, [number, string] | 200>;
}

const CASES: Case[] = [
  {
    op: 'room',
    body: (conv, t) => ({ id: conv, action: 'invite', user: t }),
    expect: { owner: 200, admin: 200, member: [403, 'only owner or admin can invite'], removed: NOT_MEMBER, outsider: NOT_MEMBER },
  },
  {
    op: 'room',
    body: (conv, t) => ({ id: conv, action: 'kick', user: t }),
    expect: { owner: 200, admin: 200, member: [403, 'only owner or admin can kick'], removed: NOT_MEMBER, outsider: NOT_MEMBER },
  },
  {
    op: 'room',
    body: (conv) => ({ id: conv, action: 'update', noScreenshots: true }),
    expect: { owner: 200, admin: 200, member: [403, 'only owner or admin can update'], removed: NOT_MEMBER, outsider: NOT_MEMBER },
  },
  {
    op: 'room',
    body: (conv) => ({ id: conv, action: 'update', disappearingTTL: 30 }),
    expect: { owner: 200, admin: 200, member: [403, 'only owner or admin can update'], removed: NOT_MEMBER, outsider: NOT_MEMBER },
  },
  {
    op: 'room',
    body: (conv, t) => ({ id: conv, action: 'role', user: t, role: 'admin' }),
    expect: {
      owner: 200,
      admin: [403, 'only owner can change roles'],
      member: [403, 'only owner can change roles'],
      removed: NOT_MEMBER,
      outsider: NOT_MEMBER,
    },
  },
  {
    op: 'pin',
    body: (conv) => ({ conv, seq: 1 }),
    expect: { owner: 200, admin: 200, member: [403, 'only owner or admin can pin'], removed: NOT_MEMBER, outsider: NOT_MEMBER },
  },
  {
    op: 'pin',
    body: (conv) => ({ conv, seq: 0 }),
    expect: { owner: 200, admin: 200, member: [403, 'only owner or admin can pin'], removed: NOT_MEMBER, outsider: NOT_MEMBER },
  },
  { op: 'clear', body: (conv) => ({ conv, seq: 1 }), expect: { owner: 200, admin: 200, member: 200, removed: NOT_MEMBER, outsider: NOT_MEMBER } },
  { op: 'dm', body: (conv) => ({ conv, muted: true }), expect: { owner: 200, admin: 200, member: 200, removed: NOT_MEMBER, outsider: NOT_MEMBER } },
  {
    op: 'dm',
    body: (conv) => ({ conv, disappearingTTL: 10 }),
    expect: {
      owner: [400, 'not a direct conversation'],
      admin: [400, 'not a direct conversation'],
      member: [400, 'not a direct conversation'],
      removed: NOT_MEMBER,
      outsider: NOT_MEMBER,
    },
  },
  ...['conversation', 'members', 'receipts'].map(
    (what): Case => ({
      op: 'get',
      body: (conv) => ({ what, conv }),
      expect: { owner: 200, admin: 200, member: 200, removed: NOT_MEMBER, outsider: NOT_MEMBER },
    }),
  ),
];

for (const backend of backends()) {
  test(`[${backend}] authorization matrix: room, pin, clear, dm settings, get × owner/admin/member/removed/outsider`, async () => {
    const s = await startServer(backend, { frameRate: 10_000 });
    try {
      const { owner, admin, member, conv } = await roomWithRoles(s);
      const removed = await s.user();
      await owner.client.request('room', { id: conv, action: 'invite', user: removed.id });
      assert.equal((await owner.client.request('room', { id: conv, action: 'kick', user: removed.id })).code, 200);
      const outsider = await s.user();
      await insertMessage(s, conv, owner.id, 1);
      const actors: Record<Who, TestUser> = { owner, admin, member, removed, outsider };

      for (const c of CASES) {
        for (const who of WHO) {
          const target = await freshMember(s, owner, conv);
          const reply = await actors[who].client.request(c.op, c.body(conv, target));
          const want = c.expect[who];
          const label = `${c.op} ${JSON.stringify(c.body(conv, 'T'))} by ${who}`;
          if (want === 200) assert.equal(reply.code, 200, `${label}: ${JSON.stringify(reply)}`);
          else assert.deepEqual(pick(reply), want, label);
        }
      }

      // Leave: everyone but the owner may; removed users and outsiders are not members.
      const leave = (u: TestUser) => u.client.request('room', { id: conv, action: 'leave' });
      assert.deepEqual(pick(await leave(owner)), [403, 'owner cannot leave room']);
      assert.deepEqual(pick(await leave(removed)), NOT_MEMBER);
      assert.deepEqual(pick(await leave(outsider)), NOT_MEMBER);
      assert.equal((await leave(member)).code, 200);
      assert.equal((await leave(admin)).code, 200);
      // An admin who left and is re-invited comes back as a plain member.
      await owner.client.request('room', { id: conv, action: 'invite', user: admin.id });
      assert.deepEqual(pick(await admin.client.request('room', { id: conv, action: 'update', noScreenshots: false })), [403, 'only owner or admin can update']);
    } finally {
      await s.close();
    }
  });
}

async function freshMember(s: TestServer, owner: TestUser, conv: string): Promise<string> {
  const k = s.app.deps.stores.db.kysely;
  // Inserted directly: signing up one user per request would make the matrix slow.
  const id = crypto.randomUUID();
  await k
    .insertInto('users')
    .values({ id, public: JSON.stringify({ fn: 'target' }) })
    .execute();
  assert.equal((await owner.client.request('room', { id: conv, action: 'invite', user: id })).code, 200);
  return id;
}
