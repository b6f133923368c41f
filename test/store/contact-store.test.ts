import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { insertUsers as users, storeSuite } from '../helpers/store.js';

storeSuite('contact store', (get) => {
  test('add writes the adder’s own direction once; adding again keeps source and nickname', async () => {
    const {
      stores: { contacts },
      db,
    } = get();
    const [a, b] = (await users(db, 2)) as [string, string];
    await contacts.add(a, b, new Date('2030-01-01T00:00:00.000Z'));
    await contacts.setNickname(a, b, 'Bee');
    await Promise.all([contacts.add(a, b), contacts.add(b, a), contacts.add(a, b)]);
    const rows = await db.kysely.selectFrom('contacts').select(['user_id', 'contact_id', 'source', 'nickname']).orderBy('user_id').execute();
    assert.deepEqual(
      rows,
      [
        { user_id: a, contact_id: b, source: 'manual', nickname: 'Bee' },
        { user_id: b, contact_id: a, source: 'manual', nickname: null },
      ].sort((x, y) => (x.user_id < y.user_id ? -1 : 1)),
    );
    const [listed] = await contacts.list(a);
    assert.equal(listed?.contactId, b);
    assert.equal(listed?.nickname, 'Bee');
    assert.equal(listed?.createdAt.toISOString(), '2030-01-01T00:00:00.000Z');
    assert.equal(listed?.user.state, 'ok');
  });

  test('a nickname belongs to one direction; a non-contact changes nothing', async () => {
    const {
      stores: { contacts },
      db,
    } = get();
    const [a, b, c] = (await users(db, 3)) as [string, string, string];
    await contacts.add(a, b);
    await contacts.add(b, a);
    assert.equal(await contacts.setNickname(a, b, 'B'), 1);
    assert.equal(await contacts.setNickname(a, b, 'B'), 1, 'setting the same nickname again matches the row');
    assert.equal(await contacts.setNickname(a, c, 'C'), 0);
    assert.equal((await contacts.list(b))[0]?.nickname, null);
    assert.equal((await contacts.list(a))[0]?.nickname, 'B');
  });

  test('remove deletes both directions and is idempotent; lists are per owner, newest first', async () => {
    const {
      stores: { contacts },
      db,
    } = get();
    const [a, b, c, d] = (await users(db, 4)) as [string, string, string, string];
    await contacts.add(a, b, new Date('2030-01-01T00:00:00.000Z'));
    await contacts.add(c, a, new Date('2030-01-03T00:00:00.000Z'));
    await contacts.add(a, c, new Date('2030-01-03T00:00:00.000Z'));
    await contacts.add(a, d, new Date('2030-01-02T00:00:00.000Z'));
    await db.kysely.updateTable('users').set({ state: 'deleted' }).where('id', '=', d).execute();
    const list = await contacts.list(a);
    assert.deepEqual(
      list.map((x) => x.contactId),
      [c, d, b],
    );
    assert.equal(list[1]?.user.state, 'deleted');
    assert.deepEqual(
      (await contacts.list(b)).map((x) => x.contactId),
      [],
      'a adding b does not put a in b’s list',
    );
    await contacts.remove(b, a);
    await contacts.remove(b, a);
    await contacts.remove(a, randomUUID());
    assert.deepEqual(
      (await contacts.list(a)).map((x) => x.contactId),
      [c, d],
    );
    assert.deepEqual(await contacts.list(b), []);
    assert.deepEqual(
      (await contacts.list(c)).map((x) => x.contactId),
      [a],
    );
  });
});
