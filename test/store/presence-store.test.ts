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
});
