import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { freshPgDatabase, PG_URL } from '../helpers/server.js';
import { storeSuite } from '../helpers/store.js';
import { migrate } from '../../src/store/database.js';
import { openDb } from '../../src/wiring/database.js';

const account = (username: string, pub: unknown = { fn: username }) => ({
  id: randomUUID(),
  username,
  passwordHash: '$argon2id$x$y',
  public: pub,
  email: null,
  emailVerified: true,
  mustChangePassword: false,
});

storeSuite('account store', (get) => {
  test('create is atomic and one username wins a race', async () => {
    const { stores } = get();
    const results = await Promise.all(Array.from({ length: 8 }, () => stores.accounts.createAccount(account('same'))));
    assert.equal(results.filter((r) => r === 'created').length, 1);
    assert.equal(results.filter((r) => r === 'taken').length, 7);
    const auth = await stores.accounts.findBasicAuth('same');
    assert.ok(auth);
    const user = await stores.accounts.getUser(auth.userId);
    assert.deepEqual(user?.public, { fn: 'same' });
    assert.equal(user?.state, 'ok');
    assert.equal(await stores.accounts.findBasicAuth('SAME'), null, 'names are case-sensitive');
  });

  test('JSON, booleans and timestamps read back the same on both databases', async () => {
    const { stores } = get();
    const a = account('jsonuser', { fn: 'J', nested: { list: [1, 'two', null], flag: false } });
    await stores.accounts.createAccount({ ...a, mustChangePassword: true, emailVerified: false });
    const at = new Date('2026-01-10T10:15:00.123Z');
    await stores.accounts.recordLogin(a.id, at, 'ua/1');
    const u = await stores.accounts.getUser(a.id);
    assert.deepEqual(u?.public, a.public);
    assert.equal(u?.mustChangePassword, true);
    assert.equal(u?.emailVerified, false);
    assert.equal(u?.lastSeen?.toISOString(), at.toISOString());
    const nullPub = account('nullpub', null);
    await stores.accounts.createAccount(nullPub);
    assert.equal((await stores.accounts.getUser(nullPub.id))?.public, null);
    const many = await stores.accounts.getUsers([a.id, nullPub.id, randomUUID()]);
    assert.equal(many.size, 2);
  });

  test('update is all-or-nothing and bumps the token epoch on password change', async () => {
    const { stores } = get();
    const a = account('first1');
    const b = account('second');
    await stores.accounts.createAccount(a);
    await stores.accounts.createAccount(b);
    assert.equal(await stores.accounts.updateAccount(b.id, { email: 'x@example.org' }), 'ok');
    assert.equal(await stores.accounts.updateAccount(a.id, { public: { fn: 'New' }, email: 'x@example.org' }), 'email-taken');
    assert.deepEqual((await stores.accounts.getUser(a.id))?.public, { fn: 'first1' });
    assert.equal(await stores.accounts.updateAccount(a.id, { passwordHash: '$argon2id$a$b', email: '' }), 'ok');
    const u = await stores.accounts.getUser(a.id);
    assert.equal(u?.tokenEpoch, 1);
    assert.equal(u?.email, null);
    assert.equal((await stores.accounts.findBasicAuth('first1'))?.secret, '$argon2id$a$b');
  });
  test('last seen: logins and the final disconnect write it; logins arriving together all land', async () => {
    const { stores, db } = get();
    const users = Array.from({ length: 5 }, (_, i) => account(`seen${i}`));
    for (const u of users) await stores.accounts.createAccount(u);
    assert.equal((await stores.accounts.getUser(users[0]!.id))?.lastSeen, null);
    const at = new Date('2026-02-01T08:00:00.000Z');
    await Promise.all(users.map((u, i) => stores.accounts.recordLogin(u.id, new Date(at.getTime() + i * 1000), `ua/${i}`)));
    const seen = await stores.accounts.getUsers(users.map((u) => u.id));
    assert.deepEqual(
      users.map((u) => seen.get(u.id)?.lastSeen?.getTime()),
      users.map((_, i) => at.getTime() + i * 1000),
    );
    const row = await db.kysely.selectFrom('users').select('user_agent').where('id', '=', users[2]!.id).executeTakeFirstOrThrow();
    assert.equal(row.user_agent, 'ua/2');
    const off = new Date('2026-02-01T09:30:00.000Z');
    await stores.accounts.recordOffline(users[2]!.id, off);
    assert.equal((await stores.accounts.getUser(users[2]!.id))?.lastSeen?.toISOString(), off.toISOString());
    const after = await db.kysely.selectFrom('users').select('user_agent').where('id', '=', users[2]!.id).executeTakeFirstOrThrow();
    assert.equal(after.user_agent, '');
    assert.equal((await stores.accounts.getUser(users[1]!.id))?.lastSeen?.getTime(), at.getTime() + 1000, 'other users untouched');
  });
});

test('nodes starting at the same moment against an empty PostgreSQL database migrate it once', {
  skip: !PG_URL && 'MVCHAT_TEST_DATABASE_URL not set',
}, async () => {
  const pg = await freshPgDatabase();
  const dbs = Array.from({ length: 3 }, () => openDb({ databaseUrl: pg.url, dataDir: '' }));
  try {
    await Promise.all(dbs.map((d) => migrate(d)));
    const rows = (await dbs[0]!.kysely
      .selectFrom('mvchat_migration' as never)
      .selectAll()
      .execute()) as { name: string }[];
    assert.ok(rows.length >= 2);
    assert.equal(new Set(rows.map((r) => r.name)).size, rows.length, 'each migration applied once');
    const version = await dbs[0]!.kysely.selectFrom('schema_version').select('version').execute();
    assert.deepEqual(
      version.map((v) => v.version),
      [10],
    );
  } finally {
    await Promise.all(dbs.map((d) => d.close()));
    await pg.drop();
  }
});
