import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { insertUsers as users, storeSuite } from '../helpers/store.js';
import { markInviterRows } from '../../src/store/migrations/010-privacy.js';
import type { Db } from '../../src/store/database.js';

/** (owner, contact) pairs whose owner added the contact herself. */
async function ownAdds(db: Db): Promise<string[]> {
  const rows = await db.kysely.selectFrom('contacts').select(['user_id', 'contact_id', 'owner_added']).execute();
  return rows
    .filter((r) => db.codec.bool(r.owner_added))
    .map((r) => `${r.user_id}>${r.contact_id}`)
    .sort();
}

async function inviteFrom(db: Db, inviter: string): Promise<string> {
  const id = randomUUID();
  await db.kysely
    .insertInto('invite_codes')
    .values({
      id,
      inviter_id: inviter,
      code: `C${id.slice(0, 9)}`,
      token: `sealed.${id}`,
      email: 'friend@example.org',
      expires_at: new Date('2100-01-01T00:00:00.000Z'),
    })
    .execute();
  return id;
}

storeSuite('privacy store', (get) => {
  test('contact add records who added whom: only the adder’s own row counts; her later add of him counts hers too', async () => {
    const { stores, db } = get();
    const [her, him] = (await users(db, 2)) as [string, string];
    await stores.contacts.add(him, her);
    assert.deepEqual(await ownAdds(db), [`${him}>${her}`], 'his add is not hers');
    assert.equal((await stores.contacts.list(her)).length, 0, 'his add does not put him in her list');
    await stores.contacts.add(her, him);
    await stores.contacts.setNickname(her, him, 'H');
    await stores.contacts.add(her, him);
    assert.deepEqual(await ownAdds(db), [`${her}>${him}`, `${him}>${her}`].sort());
    const [row] = await stores.contacts.list(her);
    assert.deepEqual([row?.source, row?.nickname], ['manual', 'H'], 'source and nickname kept');
    await stores.contacts.add(him, her);
    assert.equal((await ownAdds(db)).length, 2, 'adding again never takes her add away');
    await stores.contacts.remove(him, her);
    assert.deepEqual(await ownAdds(db), []);
  });

  test('invite redemption: the inviter added the invitee; the redeemer added nobody', async () => {
    const { stores, db } = get();
    const [inviter, redeemer] = (await users(db, 2)) as [string, string];
    const id = await inviteFrom(db, inviter);
    const r = await stores.invites.redeem([{ id, inviterId: inviter }], redeemer);
    assert.notEqual(r, 'gone');
    assert.deepEqual(await ownAdds(db), [`${inviter}>${redeemer}`]);
  });

  test('migration of existing rows: only the inviter side of invite contacts counts', async () => {
    const { stores, db } = get();
    const [inviter, redeemer, a, b] = (await users(db, 4)) as [string, string, string, string];
    await stores.invites.redeem([{ id: await inviteFrom(db, inviter), inviterId: inviter }], redeemer);
    await stores.contacts.add(a, b);
    await db.kysely.updateTable('contacts').set({ owner_added: false }).execute();
    await markInviterRows(db.kysely);
    assert.deepEqual(await ownAdds(db), [`${inviter}>${redeemer}`]);
  });

  test('privacyOf: defaults; her settings; her own adds only, and only when she chose contacts', async () => {
    const { stores, db } = get();
    const [her, friend, him, other] = (await users(db, 4)) as [string, string, string, string];
    assert.deepEqual(await stores.presence.privacyOf(her), { presence: 'everyone', readReceipts: true, added: new Set() });
    await stores.contacts.add(her, friend);
    await stores.contacts.add(him, her);
    await stores.contacts.add(other, friend);
    assert.deepEqual((await stores.presence.privacyOf(her))?.added, new Set(), 'not loaded for everyone');
    await stores.accounts.updateAccount(her, { privacy: { presence: 'contacts', readReceipts: false } });
    assert.deepEqual(await stores.presence.privacyOf(her), { presence: 'contacts', readReceipts: false, added: new Set([friend]) });
    await stores.accounts.updateAccount(her, { privacy: { presence: 'nobody' } });
    assert.deepEqual(await stores.presence.privacyOf(her), { presence: 'nobody', readReceipts: false, added: new Set() });
    assert.equal(await stores.presence.privacyOf(randomUUID()), null);
    const user = await stores.accounts.getUser(her);
    assert.deepEqual(user?.privacy, { presence: 'nobody', readReceipts: false });
  });

  test('privacyToward: each subject’s settings and whether she herself added the viewer, in one read', async () => {
    const { stores, db } = get();
    const [viewer, her, him, plain] = (await users(db, 4)) as [string, string, string, string];
    await stores.contacts.add(her, viewer);
    await stores.contacts.add(viewer, him);
    await stores.accounts.updateAccount(her, { privacy: { presence: 'contacts' } });
    await stores.accounts.updateAccount(him, { privacy: { presence: 'contacts' } });
    const m = await stores.presence.privacyToward(viewer, [her, him, plain, her, randomUUID()]);
    assert.deepEqual(Object.fromEntries(m), {
      [her]: { presence: 'contacts', readReceipts: true, addedViewer: true },
      [him]: { presence: 'contacts', readReceipts: true, addedViewer: false },
      [plain]: { presence: 'everyone', readReceipts: true, addedViewer: false },
    });
    assert.equal((await stores.presence.privacyToward(viewer, [])).size, 0);
  });
});
