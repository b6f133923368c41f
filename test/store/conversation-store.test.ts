import { test } from 'node:test';
import assert from 'node:assert/strict';
import { insertUsers as users, newMessage, storeSuite } from '../helpers/store.js';

storeSuite('conversation store', (get) => {
  test('findOrCreateDm: one conversation per unordered pair under concurrency', async () => {
    const {
      stores: { conversations },
      db,
    } = get();
    const [a, b, c] = (await users(db, 3)) as [string, string, string];
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? conversations.findOrCreateDm(a, b) : conversations.findOrCreateDm(b, a))));
    assert.equal(new Set(results.map((r) => r.convId)).size, 1);
    assert.equal(results.filter((r) => r.created).length, 1);
    const pair = await db.kysely.selectFrom('dm_participants').selectAll().execute();
    assert.equal(pair.length, 1);
    assert.ok(pair[0]!.user1_id < pair[0]!.user2_id);
    assert.equal((await db.kysely.selectFrom('conversations').select('id').execute()).length, 1);
    const members = await db.kysely.selectFrom('members').select(['user_id', 'role']).execute();
    assert.deepEqual(
      members.map((m) => m.role),
      ['member', 'member'],
    );
    // A participant removed by the reference server's DM leave is restored by starting the DM again.
    await db.kysely.updateTable('members').set({ deleted_at: new Date() }).where('user_id', '=', a).execute();
    assert.equal((await conversations.findOrCreateDm(b, a)).convId, results[0]!.convId);
    assert.equal((await conversations.listForUser(a)).length, 1);
    const other = await conversations.findOrCreateDm(c, a);
    assert.notEqual(other.convId, results[0]!.convId);
  });

  test('settings, TTL and public data apply together', async () => {
    const {
      stores: { conversations },
      db,
    } = get();
    const [owner] = (await users(db, 1)) as [string];
    const conv = await conversations.createRoom(owner, { fn: 'R' });
    await conversations.updateSettings(conv, owner, { favorite: true, private: null }, { ttl: 60, noScreenshots: true });
    const [l] = await conversations.listForUser(owner);
    assert.equal(l?.conversation.disappearingTtl, 60);
    assert.equal(l?.conversation.noScreenshots, true);
    assert.deepEqual(l?.conversation.public, { fn: 'R' });
    assert.equal(l?.membership.favorite, true);
    await conversations.updateConversation(conv, { ttl: null, public: { fn: 'S' } });
    const one = await conversations.listing(conv, owner);
    assert.equal(one?.conversation.disappearingTtl, null);
    assert.deepEqual(one?.conversation.public, { fn: 'S' });
    assert.equal(one?.conversation.noScreenshots, true);
  });

  test('createRoom makes the creator its only member, as owner', async () => {
    const {
      stores: { conversations, membership },
      db,
    } = get();
    const [owner, other] = (await users(db, 2)) as [string, string];
    const conv = await conversations.createRoom(owner, { fn: 'Room', tags: ['a'] });
    const c = await membership.getConversation(conv);
    assert.equal(c?.type, 'room');
    assert.equal(c?.ownerId, owner);
    assert.deepEqual(c?.public, { fn: 'Room', tags: ['a'] });
    assert.equal(c?.lastSeq, 0);
    const rows = await db.kysely.selectFrom('members').select(['user_id', 'role']).where('conversation_id', '=', conv).execute();
    assert.deepEqual(rows, [{ user_id: owner, role: 'owner' }]);
    assert.equal(await conversations.listing(conv, other), null, 'strangers get no listing');
  });

  test('listings: newest activity first, DM peers, settings without changes are a no-op', async () => {
    const {
      stores: { conversations, sends },
      db,
    } = get();
    const [me, peer, x] = (await users(db, 3)) as [string, string, string];
    const room = await conversations.createRoom(me, null);
    const { convId: dm } = await conversations.findOrCreateDm(peer, me);
    await conversations.findOrCreateDm(peer, x);
    // The room was created first; the DM then gets a message, the room a later one.
    await sends.insert(newMessage(dm, peer, { at: new Date('2030-01-01T00:00:00.000Z') }), () => {});
    let list = await conversations.listForUser(me);
    assert.deepEqual(
      list.map((l) => l.conversation.id),
      [dm, room],
    );
    assert.equal(list[0]!.peerId, peer);
    assert.equal(list[1]!.peerId, null);
    await sends.insert(newMessage(room, me, { at: new Date('2030-01-02T00:00:00.000Z') }), () => {});
    list = await conversations.listForUser(me);
    assert.deepEqual(
      list.map((l) => l.conversation.id),
      [room, dm],
    );
    assert.equal((await conversations.listing(dm, peer))?.peerId, me);
    await conversations.updateSettings(room, me, {}, {});
    assert.deepEqual((await conversations.listing(room, me))?.membership.favorite, false);
  });

  test('pin: set to a message, replaced, cleared; a listing shows the pinned seq', async () => {
    const {
      stores: { conversations, sends, history },
      db,
    } = get();
    const [owner] = (await users(db, 1)) as [string];
    const conv = await conversations.createRoom(owner, null);
    await sends.insert(newMessage(conv, owner), () => {});
    await sends.insert(newMessage(conv, owner), () => {});
    const first = await history.messageIdAt(conv, 1);
    const second = await history.messageIdAt(conv, 2);
    assert.ok(first && second);
    const at = new Date('2030-03-01T00:00:00.000Z');
    await conversations.setPin(conv, { messageId: first, at, by: owner });
    let l = await conversations.listing(conv, owner);
    assert.equal(l?.pinnedSeq, 1);
    assert.equal(l?.conversation.pinnedBy, owner);
    assert.equal(l?.conversation.pinnedAt?.toISOString(), at.toISOString());
    await conversations.setPin(conv, { messageId: second, at, by: owner });
    assert.equal((await conversations.listing(conv, owner))?.pinnedSeq, 2);
    await conversations.setPin(conv, null);
    l = await conversations.listing(conv, owner);
    assert.equal(l?.pinnedSeq, null);
    assert.equal(l?.conversation.pinnedMessageId, null);
    assert.equal(l?.conversation.pinnedBy, null);
  });
});
