import { test } from 'node:test';
import assert from 'node:assert/strict';
import { insertUsers as users, storeSuite } from '../helpers/store.js';

storeSuite('account deletion store', (get) => {
  test('markDeleted: tombstone, unusable secret, DM rows inactive and the job recorded, in one go; only once', async () => {
    const { stores, db } = get();
    const k = db.kysely;
    const [her, peer] = (await users(db, 2)) as [string, string];
    await k.insertInto('auth').values({ id: crypto.randomUUID(), user_id: her, scheme: 'basic', secret: 'real-hash', uname: 'her_name' }).execute();
    await k.updateTable('users').set({ email: 'her@example.org', lang: 'en', last_seen: new Date() }).where('id', '=', her).execute();
    const { convId } = await stores.conversations.findOrCreateDm(her, peer);
    const before = (await stores.membership.loadSnapshot(convId))!;
    assert.equal(before.gone.size, 0);

    assert.equal(await stores.deletions.markDeleted(her, 'unusable'), true);
    assert.equal(await stores.deletions.markDeleted(her, 'other'), false, 'a second mark changes nothing');
    const u = await k.selectFrom('users').selectAll().where('id', '=', her).executeTakeFirstOrThrow();
    assert.equal(u.state, 'deleted');
    assert.equal(u.email, null);
    assert.equal(u.lang, null);
    assert.equal(u.last_seen, null);
    assert.equal(u.token_epoch, 1);
    assert.deepEqual(await stores.accounts.findBasicAuth('her_name'), { userId: her, secret: 'unusable' });
    const after = (await stores.membership.snapshot(convId))!;
    assert.ok(after.version > before.version, 'the member version went up');
    assert.deepEqual([...after.gone], [her]);
    assert.deepEqual([...after.active], [peer]);
    assert.deepEqual(await stores.deletions.get(her), { lastStep: null, done: false, attempts: 0 });
    // A deleted account records no presence any more.
    await stores.accounts.recordOffline(her, new Date());
    await stores.accounts.recordLogin(her, new Date(), 'ua');
    assert.equal((await k.selectFrom('users').select('last_seen').where('id', '=', her).executeTakeFirstOrThrow()).last_seen, null);
  });

  test('claim: one holder at a time; an expired lease is taken over; progress needs the lease; finished jobs stay finished', async () => {
    const { stores, db } = get();
    const [her] = (await users(db, 1)) as [string];
    await stores.deletions.markDeleted(her, 'x');
    const soon = new Date(Date.now() + 60_000);
    const claims = await Promise.all(['n1', 'n2', 'n3'].map((n) => stores.deletions.claim(her, n, soon)));
    assert.equal(claims.filter(Boolean).length, 1, 'exactly one node gets the job');
    const holder = ['n1', 'n2', 'n3'][claims.findIndex(Boolean)]!;
    const other = holder === 'n1' ? 'n2' : 'n1';
    assert.deepEqual(await stores.deletions.claimable(10), [], 'a held job is not offered');
    assert.equal(await stores.deletions.stepDone(her, other, 'end-sessions', soon), false);
    assert.equal(await stores.deletions.stepDone(her, holder, 'end-sessions', new Date(Date.now() - 1)), true);
    // The holder's lease ran out (a dead node): another node takes over and resumes after the recorded step.
    assert.deepEqual(await stores.deletions.claimable(10), [her]);
    const taken = await stores.deletions.claim(her, other, soon);
    assert.equal(taken?.lastStep, 'end-sessions');
    assert.equal(taken?.attempts, 2);
    assert.equal(await stores.deletions.stepDone(her, holder, 'revoke-invites', soon), false, 'the old holder lost it');
    await stores.deletions.release(her, other);
    assert.ok(await stores.deletions.claim(her, holder, soon), 'a released job is free at once');
    assert.equal(await stores.deletions.finish(her, holder), true);
    assert.equal(await stores.deletions.claim(her, other, soon, new Date(Date.now() + 3_600_000)), null);
    assert.deepEqual(await stores.deletions.claimable(10, new Date(Date.now() + 3_600_000)), []);
  });

  test('leaveForGood: the owner passes the room to the longest-standing admin, else member; an empty room is closed', async () => {
    const { stores, db } = get();
    const k = db.kysely;
    const [her, m1, a1, a2] = (await users(db, 4)) as [string, string, string, string];
    const room = await stores.conversations.createRoom(her, { fn: 'R' });
    for (const u of [m1, a1, a2]) {
      await stores.membership.addMember(room, u);
      await new Promise((r) => setTimeout(r, 5));
    }
    await stores.membership.setRole(room, a2, 'admin');
    await stores.membership.setRole(room, a1, 'admin');
    assert.deepEqual(await stores.membership.activeRoomsOf(her), [room]);
    assert.deepEqual(await stores.membership.leaveForGood(room, her), { outcome: 'left', newOwner: a1 });
    assert.deepEqual(await stores.membership.leaveForGood(room, her), { outcome: 'not-member', newOwner: null });
    const conv = await k.selectFrom('conversations').select('owner_id').where('id', '=', room).executeTakeFirstOrThrow();
    assert.equal(conv.owner_id, a1);
    assert.equal((await stores.membership.getActiveMembership(room, a1))?.role, 'owner');

    const noAdmins = await stores.conversations.createRoom(her, null);
    await stores.membership.addMember(noAdmins, m1);
    assert.deepEqual(await stores.membership.leaveForGood(noAdmins, her), { outcome: 'left', newOwner: m1 });

    const alone = await stores.conversations.createRoom(her, null);
    assert.deepEqual(await stores.membership.leaveForGood(alone, her), { outcome: 'closed', newOwner: null });
    assert.equal(await k.selectFrom('conversations').select('id').where('id', '=', alone).executeTakeFirst(), undefined);
    assert.deepEqual(await stores.membership.activeRoomsOf(her), []);
  });
});
