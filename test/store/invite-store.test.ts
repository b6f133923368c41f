import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { NewInvite } from '../../src/store/invite-store.js';
import { insertUsers as users, storeSuite } from '../helpers/store.js';

const DAY = 86_400_000;

function invite(inviterId: string, extra: Partial<NewInvite> = {}): NewInvite {
  const id = randomUUID();
  return {
    id,
    inviterId,
    code: `C${id.slice(0, 9)}`,
    sealedToken: `sealed.${id}`,
    email: 'friend@example.org',
    name: 'Friend',
    createdAt: new Date('2030-01-01T00:00:00.000Z'),
    expiresAt: new Date('2030-01-08T00:00:00.000Z'),
    ...extra,
  };
}

storeSuite('invite store', (get) => {
  test('create, find by exact code, count per inviter since a time', async () => {
    const {
      stores: { invites },
      db,
    } = get();
    const [a, b] = (await users(db, 2)) as [string, string];
    const i = invite(a, { code: 'AbCdEf' });
    await invites.insert(i);
    await invites.insert(invite(a, { createdAt: new Date('2030-01-03T00:00:00.000Z') }));
    await invites.insert(invite(b));
    const found = await invites.findByCode('AbCdEf');
    assert.deepEqual(found, { ...i, status: 'pending', usedAt: null, usedBy: null });
    assert.equal(await invites.findByCode('abcdef'), null, 'codes are case-sensitive');
    assert.equal(await invites.countCreatedSince(a, new Date('2030-01-01T00:00:00.000Z')), 2);
    assert.equal(await invites.countCreatedSince(a, new Date('2030-01-02T00:00:00.000Z')), 1);
    assert.equal(await invites.countCreatedSince(randomUUID(), new Date(0)), 0);
  });

  test("list marks stale pending invites expired, newest first; revoke only the inviter's own pending unexpired invite", async () => {
    const {
      stores: { invites },
      db,
    } = get();
    const [a, b] = (await users(db, 2)) as [string, string];
    const now = new Date('2030-01-05T00:00:00.000Z');
    const old = invite(a, { createdAt: new Date('2029-12-01T00:00:00.000Z'), expiresAt: new Date('2029-12-08T00:00:00.000Z') });
    const fresh = invite(a, { createdAt: new Date('2030-01-04T00:00:00.000Z'), expiresAt: new Date(now.getTime() + DAY) });
    const other = invite(a);
    for (const i of [old, fresh, other]) await invites.insert(i);
    const list = await invites.listByInviter(a, now);
    assert.deepEqual(
      list.map((i) => [i.id, i.status]),
      [
        [fresh.id, 'pending'],
        [other.id, 'pending'],
        [old.id, 'expired'],
      ],
    );
    assert.equal(await invites.revoke(fresh.id, b, now), false, 'not the inviter');
    assert.equal(await invites.revoke(old.id, a, now), false, 'expired');
    assert.equal(await invites.revoke(fresh.id, a, now), true);
    assert.equal(await invites.revoke(fresh.id, a, now), false, 'already revoked');
    assert.equal((await invites.findByCode(fresh.code))?.status, 'revoked');
    assert.deepEqual(await invites.listByInviter(b, now), []);
  });

  test('pendingForEmail lists pending invites oldest first; markExpired only touches pending ones', async () => {
    const {
      stores: { invites },
      db,
    } = get();
    const [a, b] = (await users(db, 2)) as [string, string];
    const first = invite(a, { createdAt: new Date('2030-01-01T00:00:00.000Z') });
    const second = invite(b, { createdAt: new Date('2030-01-02T00:00:00.000Z') });
    const elsewhere = invite(a, { email: 'someone@example.org' });
    for (const i of [second, first, elsewhere]) await invites.insert(i);
    assert.deepEqual(
      (await invites.pendingForEmail('friend@example.org')).map((i) => i.id),
      [first.id, second.id],
    );
    await invites.markExpired(first.id);
    assert.equal((await invites.findByCode(first.code))?.status, 'expired');
    await invites.revoke(second.id, b, new Date('2030-01-03T00:00:00.000Z'));
    await invites.markExpired(second.id);
    assert.equal((await invites.findByCode(second.code))?.status, 'revoked', 'a revoked invite stays revoked');
    assert.deepEqual(await invites.pendingForEmail('friend@example.org'), []);
  });

  test('redeem: one winner under concurrency; the DM and the two-way contact exist once', async () => {
    const {
      stores: { invites, conversations },
      db,
    } = get();
    const [inviter, r1, r2] = (await users(db, 3)) as [string, string, string];
    const i = invite(inviter);
    await invites.insert(i);
    const now = new Date('2030-01-02T00:00:00.000Z');
    const results = await Promise.all([r1, r2, r1].map((r) => invites.redeem([{ id: i.id, inviterId: inviter }], r, now)));
    const won = results.filter((r) => r !== 'gone');
    assert.equal(won.length, 1);
    const winner = [r1, r2, r1][results.findIndex((r) => r !== 'gone')]!;
    const [redeemed] = won[0] as Exclude<(typeof results)[number], 'gone'>;
    assert.equal(redeemed?.inviteId, i.id);
    assert.equal(redeemed?.inviterId, inviter);
    const stored = await invites.findByCode(i.code);
    assert.equal(stored?.status, 'used');
    assert.equal(stored?.usedBy, winner);
    assert.equal(stored?.usedAt?.toISOString(), now.toISOString());
    const dm = await conversations.findOrCreateDm(winner, inviter);
    assert.deepEqual(dm, { convId: redeemed!.conv, created: false });
    const contacts = await db.kysely.selectFrom('contacts').select(['user_id', 'contact_id', 'source', 'invite_id']).execute();
    assert.equal(contacts.length, 2);
    assert.ok(contacts.every((c) => c.source === 'invite' && c.invite_id === i.id));
    assert.equal(await invites.redeem([{ id: i.id, inviterId: inviter }], winner, now), 'gone', 'used once');
  });

  test('redeem: a first invite gone writes nothing; later ones lost meanwhile are skipped', async () => {
    const {
      stores: { invites },
      db,
    } = get();
    const [x, y, r] = (await users(db, 3)) as [string, string, string];
    const expired = invite(x, { expiresAt: new Date('2030-01-01T12:00:00.000Z') });
    const used = invite(y);
    const good = invite(y, { email: 'r@example.org' });
    for (const i of [expired, used, good]) await invites.insert(i);
    const now = new Date('2030-01-02T00:00:00.000Z');
    assert.equal(
      await invites.redeem(
        [
          { id: expired.id, inviterId: x },
          { id: good.id, inviterId: y },
        ],
        r,
        now,
      ),
      'gone',
    );
    assert.equal((await invites.findByCode(good.code))?.status, 'pending', 'nothing written');
    assert.equal((await db.kysely.selectFrom('contacts').selectAll().execute()).length, 0);
    await invites.revoke(used.id, y, now);
    const out = await invites.redeem(
      [
        { id: good.id, inviterId: y },
        { id: used.id, inviterId: y },
      ],
      r,
      now,
    );
    assert.ok(out !== 'gone');
    assert.deepEqual(
      out.map((o) => o.inviteId),
      [good.id],
    );
  });
});
