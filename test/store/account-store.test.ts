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
    const { stores, db } = get();
    const a = account('first1');
    const b = account('second');
    await stores.accounts.createAccount(a);
    await stores.accounts.createAccount(b);
    const token = { token: 'tok-x', expires: new Date(Date.now() + 3600_000) };
    const typed = (address: string | null) => ({ address, verifiedWhenEmpty: true, token });
    assert.deepEqual(await stores.accounts.updateAccount(b.id, { email: typed('x@example.org') }), { mail: true, emailVerified: false });
    // An address another account typed (unverified) takes no slot: this one may hold it too.
    assert.deepEqual(await stores.accounts.updateAccount(a.id, { public: { fn: 'New' }, email: typed('x@example.org') }), { mail: true, emailVerified: false });
    assert.deepEqual((await stores.accounts.getUser(a.id))?.public, { fn: 'New' });
    // A failing update writes nothing: neither the password nor the profile (one transaction, §12 item 14).
    await assert.rejects(stores.accounts.updateAccount(a.id, { passwordHash: '$argon2id$never', public: { n: 1n } }));
    assert.deepEqual((await stores.accounts.getUser(a.id))?.public, { fn: 'New' });
    assert.equal((await stores.accounts.findBasicAuth('first1'))?.secret, '$argon2id$x$y');
    if (db.dialect === 'postgres') {
      // Fails at the users row, after the password row was written: both roll back.
      await assert.rejects(stores.accounts.updateAccount(a.id, { passwordHash: '$argon2id$never', lang: 'x'.repeat(11) }));
      assert.equal((await stores.accounts.findBasicAuth('first1'))?.secret, '$argon2id$x$y');
    }
    assert.deepEqual(await stores.accounts.updateAccount(a.id, { passwordHash: '$argon2id$a$b', email: typed(null) }), { mail: false, emailVerified: true });
    const u = await stores.accounts.getUser(a.id);
    assert.equal(u?.tokenEpoch, 1);
    assert.equal(u?.email, null);
    assert.equal((await stores.accounts.findBasicAuth('first1'))?.secret, '$argon2id$a$b');
  });
  test('only verified addresses hold the unique slot; an address verified elsewhere is stored without a mail', async () => {
    const { stores, db } = get();
    const owner = { ...account('owner1'), email: 'her@example.org', emailVerified: true };
    assert.equal(await stores.accounts.createAccount(owner), 'created');
    // Once an address is verified, no other sign-up gets it.
    assert.equal(await stores.accounts.createAccount({ ...account('owner2'), email: 'her@example.org', emailVerified: true }), 'email-taken');
    assert.equal(await stores.accounts.createAccount({ ...account('owner3'), email: 'her@example.org', emailVerified: false }), 'email-taken');
    // An unverified holder keeps nobody out.
    assert.equal(await stores.accounts.createAccount({ ...account('early1'), email: 'him@example.org', emailVerified: false }), 'created');
    assert.equal(await stores.accounts.createAccount({ ...account('real11'), email: 'him@example.org', emailVerified: true }), 'created');
    const other = account('typist');
    await stores.accounts.createAccount(other);
    const token = { token: 'tok-typed', expires: new Date(Date.now() + 3600_000) };
    const r = await stores.accounts.updateAccount(other.id, { email: { address: 'her@example.org', verifiedWhenEmpty: true, token } });
    assert.deepEqual(r, { mail: false, emailVerified: false });
    const row = await db.kysely
      .selectFrom('users')
      .select(['email', 'email_verified', 'email_verification_token'])
      .where('id', '=', other.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.email, 'her@example.org');
    assert.equal(db.codec.bool(row.email_verified), false);
    assert.equal(row.email_verification_token, null, 'no token, so nothing can verify it');
    // Her own verified address sent again stays verified, with no mail.
    assert.deepEqual(await stores.accounts.updateAccount(owner.id, { email: { address: 'her@example.org', verifiedWhenEmpty: true, token } }), {
      mail: false,
      emailVerified: true,
    });
    assert.equal((await stores.accounts.getUser(owner.id))?.emailVerified, true);
  });

  test('private data is read with one account only, never with lists', async () => {
    const { stores } = get();
    const a = { ...account('priv1'), private: { note: 'mine' } };
    await stores.accounts.createAccount(a);
    assert.deepEqual((await stores.accounts.getUser(a.id))?.private, { note: 'mine' });
    assert.equal((await stores.accounts.getUsers([a.id])).get(a.id)?.private, undefined);
    assert.equal((await stores.accounts.search('priv1', 5, randomUUID()))[0]?.private, undefined);
    await stores.accounts.updateAccount(a.id, { private: [1, 'two'] });
    assert.deepEqual((await stores.accounts.getUser(a.id))?.private, [1, 'two']);
    await stores.accounts.updateAccount(a.id, { private: null });
    assert.equal((await stores.accounts.getUser(a.id))?.private, null);
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
