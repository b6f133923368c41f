import { test } from 'node:test';
import assert from 'node:assert/strict';
import { insertRoom, insertUsers, storeSuite } from '../helpers/store.js';

storeSuite('presence store', (get) => {
  test("subscribers: other active members of the user's active conversations, once each", async () => {
    const { stores, db } = get();
    const one = await insertRoom(db, 3);
    const [me, x, y] = one.ids as [string, string, string];
    const two = await insertRoom(db, 2);
    const [z, gone] = two.ids as [string, string];
    await db.kysely
      .insertInto('members')
      .values([{ conversation_id: two.conv, user_id: me }])
      .execute();
    const three = await insertRoom(db, 1);
    await db.kysely.insertInto('members').values({ conversation_id: three.conv, user_id: x }).execute();
    await stores.membership.removeMember(two.conv, gone, ['member']);
    assert.deepEqual((await stores.presence.subscribers(me)).sort(), [x, y, z].sort());
    // Removed from a room: neither hears from its members any more.
    await stores.membership.removeMember(one.conv, y, ['member']);
    assert.deepEqual((await stores.presence.subscribers(me)).sort(), [x, z].sort());
    assert.deepEqual(await stores.presence.subscribers(y), []);
    const [lonely] = await insertUsers(db, 1);
    assert.deepEqual(await stores.presence.subscribers(lonely!), []);
  });

  test('a user who blocked the other in their DM stops hearing about them', async () => {
    const { stores, db } = get();
    const [me, peer, other] = (await insertUsers(db, 3)) as [string, string, string];
    const { convId: dm } = await stores.conversations.findOrCreateDm(me, peer);
    await stores.conversations.findOrCreateDm(me, other);
    assert.deepEqual((await stores.presence.subscribers(me)).sort(), [peer, other].sort());
    await stores.conversations.updateSettings(dm, peer, { blocked: true });
    assert.deepEqual(await stores.presence.subscribers(me), [other]);
    assert.deepEqual(await stores.presence.subscribers(peer), [me], 'the blocker still hears about the blocked user');
  });

  test('blockPeers: the other participant of every DM where either of the two blocked, left or not', async () => {
    const { stores, db } = get();
    const [me, blocker, blocked, friend] = (await insertUsers(db, 4)) as [string, string, string, string];
    const { convId: byHer } = await stores.conversations.findOrCreateDm(me, blocker);
    const { convId: byMe } = await stores.conversations.findOrCreateDm(me, blocked);
    await stores.conversations.findOrCreateDm(me, friend);
    assert.deepEqual([...(await stores.presence.blockPeers(me))], []);
    await stores.conversations.updateSettings(byHer, blocker, { blocked: true });
    await stores.conversations.updateSettings(byMe, me, { blocked: true });
    assert.deepEqual([...(await stores.presence.blockPeers(me))].sort(), [blocker, blocked].sort());
    assert.deepEqual([...(await stores.presence.blockPeers(blocker))], [me]);
    assert.deepEqual([...(await stores.presence.blockPeers(friend))], []);
    await db.kysely.updateTable('members').set({ deleted_at: new Date() }).where('conversation_id', '=', byHer).execute();
    assert.deepEqual([...(await stores.presence.blockPeers(blocker))], [me], 'a block outlives leaving');
    assert.equal(await stores.membership.hasBlocked(blocker, me), true);
    assert.equal(await stores.membership.hasBlocked(me, blocker), false);
    assert.equal(await stores.membership.hasBlocked(me, blocked), true);
    await stores.conversations.updateSettings(byMe, me, { blocked: false });
    assert.deepEqual([...(await stores.presence.blockPeers(me))], [blocker]);
    assert.equal(await stores.membership.hasBlocked(me, blocked), false);
  });
});
