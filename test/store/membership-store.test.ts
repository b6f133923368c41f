import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { recipientsOf, sendRefusal } from '../../src/store/member-snapshot.js';
import { insertRoom as fixture, insertUsers as users, storeSuite } from '../helpers/store.js';

storeSuite('membership store', (get) => {
  test('member version: rises when members join, leave or block, not on receipts; snapshots follow it', async () => {
    const {
      stores: { membership: members },
      db,
    } = get();
    const { conv, ids } = await fixture(db, 3);
    const [a, b, c] = ids as [string, string, string];
    const version = async () =>
      (await db.kysely.selectFrom('conversations').select('member_version').where('id', '=', conv).executeTakeFirstOrThrow()).member_version;
    const v0 = await version();
    const s0 = await members.snapshot(conv);
    assert.equal(s0?.version, v0);
    assert.deepEqual([...recipientsOf(s0!, a)].sort(), [a, b, c].sort());
    await db.kysely.updateTable('members').set({ read_seq: 5, recv_seq: 5 }).where('conversation_id', '=', conv).execute();
    assert.equal(await version(), v0, 'receipts leave the version alone');
    assert.equal(await members.snapshot(conv), s0, 'an unchanged version is served from the cache');
    await db.kysely.updateTable('members').set({ deleted_at: new Date() }).where('conversation_id', '=', conv).where('user_id', '=', c).execute();
    const v1 = await version();
    assert.ok(v1 > v0);
    const s1 = await members.snapshot(conv);
    assert.equal(s1?.version, v1);
    assert.equal(sendRefusal(s1!, c), 'notMember');
    assert.deepEqual([...recipientsOf(s1!, a)].sort(), [a, b].sort());
    await db.kysely.deleteFrom('members').where('conversation_id', '=', conv).where('user_id', '=', c).execute();
    assert.ok((await version()) > v1);
    assert.equal(await members.snapshot(randomUUID()), null);
  });

  test("addMember keeps an active member's role and resets a removed one", async () => {
    const {
      stores: { conversations, membership },
      db,
    } = get();
    const [owner, x] = (await users(db, 2)) as [string, string];
    const conv = await conversations.createRoom(owner, { fn: 'R' });
    await membership.addMember(conv, owner);
    assert.equal((await membership.getActiveMembership(conv, owner))?.role, 'owner');
    await membership.addMember(conv, x);
    assert.equal(await membership.setRole(conv, x, 'admin'), true);
    await membership.addMember(conv, x);
    assert.equal((await membership.getActiveMembership(conv, x))?.role, 'admin');
    assert.equal(await membership.removeMember(conv, x, ['member']), false);
    assert.equal(await membership.removeMember(conv, x, ['admin', 'member']), true);
    assert.equal(await membership.getActiveMembership(conv, x), null);
    assert.equal(await membership.setRole(conv, x, 'admin'), false);
    await membership.addMember(conv, x);
    assert.equal((await membership.getActiveMembership(conv, x))?.role, 'member');
    assert.equal(await membership.setRole(conv, owner, 'member'), false);
    assert.equal(await membership.removeMember(conv, owner, ['admin', 'member']), false);
  });

  test('activeMembers lists active members with their roles by joining time, removed ones left out', async () => {
    const {
      stores: { conversations, membership },
      db,
    } = get();
    const [owner, x, y] = (await users(db, 3)) as [string, string, string];
    const conv = await conversations.createRoom(owner, { fn: 'R' });
    await membership.addMember(conv, x);
    await membership.addMember(conv, y);
    await membership.setRole(conv, x, 'admin');
    assert.equal(await membership.removeMember(conv, y, ['member']), true);
    const listed = await membership.activeMembers(conv);
    // Joins within one millisecond tie on time; the user id breaks the tie.
    const byJoin = (a: [string, string, number], b: [string, string, number]) => a[2] - b[2] || (a[0] < b[0] ? -1 : 1);
    const expected: [string, string, number][] = [
      [owner, 'owner', listed.find((m) => m.userId === owner)?.since.getTime() ?? -1],
      [x, 'admin', listed.find((m) => m.userId === x)?.since.getTime() ?? -1],
    ];
    assert.deepEqual(
      listed.map((m) => [m.userId, m.role]),
      expected.sort(byJoin).map(([id, role]) => [id, role]),
    );
    assert.ok(listed.every((m) => m.since instanceof Date && !Number.isNaN(m.since.getTime())));
    assert.deepEqual(await membership.activeMembers(randomUUID()), []);
  });

  test('a removed member keeps a row, seen by getMembership only; concurrent removals succeed once', async () => {
    const {
      stores: { membership },
      db,
    } = get();
    const { conv, ids } = await fixture(db, 2);
    const [a, b] = ids as [string, string];
    const results = await Promise.all(Array.from({ length: 6 }, () => membership.removeMember(conv, b, ['member'])));
    assert.equal(results.filter(Boolean).length, 1);
    const removed = await membership.getMembership(conv, b);
    assert.ok(removed?.deletedAt instanceof Date);
    assert.equal(await membership.getActiveMembership(conv, b), null);
    assert.equal((await membership.getActiveMembership(conv, a))?.deletedAt, null);
    assert.equal(await membership.getMembership(conv, randomUUID()), null);
    assert.equal(await membership.getConversation(randomUUID()), null);
  });

  test("setClearSeq sets the member's own clear position only", async () => {
    const {
      stores: { membership },
      db,
    } = get();
    const { conv, ids } = await fixture(db, 2);
    const [a, b] = ids as [string, string];
    await membership.setClearSeq(conv, a, 7);
    assert.equal((await membership.getMembership(conv, a))?.clearSeq, 7);
    assert.equal((await membership.getMembership(conv, b))?.clearSeq, 0);
    await membership.setClearSeq(conv, a, 3);
    assert.equal((await membership.getMembership(conv, a))?.clearSeq, 3, 'stored as given');
  });

  test('senderSnapshot reloads when the held snapshot refuses (a member added meanwhile)', async () => {
    const {
      stores: { membership },
      db,
    } = get();
    const { conv, ids } = await fixture(db, 1);
    const [newcomer] = await users(db, 1);
    const held = await membership.snapshot(conv);
    assert.equal(sendRefusal(held!, newcomer!), 'notMember');
    await db.kysely.insertInto('members').values({ conversation_id: conv, user_id: newcomer! }).execute();
    const fresh = await membership.senderSnapshot(conv, newcomer!);
    assert.equal(sendRefusal(fresh!, newcomer!), null);
    assert.ok(fresh!.version > held!.version);
    assert.equal(await membership.senderSnapshot(conv, ids[0]!), fresh, 'an allowed sender is served from the cache');
    assert.equal(await membership.senderSnapshot(randomUUID(), newcomer!), null);
  });
});
