import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Stores } from '../../src/store/stores.js';
import { storeSuite } from '../helpers/store.js';

async function signUp(stores: Stores, token: string, expires: Date): Promise<string> {
  const id = randomUUID();
  const r = await stores.accounts.createAccount({
    id,
    username: `u${id.slice(0, 8)}`,
    passwordHash: '$argon2id$x$y',
    public: null,
    email: `${id.slice(0, 8)}@example.org`,
    emailVerified: false,
    mustChangePassword: false,
    verificationToken: { token, expires },
  });
  assert.equal(r, 'created');
  return id;
}

storeSuite('email verification store', (get) => {
  test('a token verifies its owner once, also when used concurrently, and is cleared', async () => {
    const { stores, db } = get();
    const now = new Date('2030-01-01T00:00:00.000Z');
    const id = await signUp(stores, 'tok-1', new Date('2030-01-02T00:00:00.000Z'));
    const other = await signUp(stores, 'tok-2', new Date('2030-01-02T00:00:00.000Z'));
    const results = await Promise.all(Array.from({ length: 5 }, () => stores.emailVerifications.verify('tok-1', now)));
    assert.deepEqual(results.filter((r) => r === 'verified').length, 1);
    assert.equal(await stores.emailVerifications.verify('tok-1', now), 'invalid');
    assert.equal((await stores.accounts.getUser(id))?.emailVerified, true);
    const row = await db.kysely
      .selectFrom('users')
      .select(['email_verification_token', 'email_verification_expires'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(row, { email_verification_token: null, email_verification_expires: null });
    assert.equal((await stores.accounts.getUser(other))?.emailVerified, false, 'other users untouched');
  });

  test('expired, unknown and deleted-user tokens are invalid and change nothing', async () => {
    const { stores, db } = get();
    const expires = new Date('2030-01-02T00:00:00.000Z');
    const id = await signUp(stores, 'late', expires);
    assert.equal(await stores.emailVerifications.verify('late', expires), 'invalid', 'the expiry instant is already too late');
    assert.equal(await stores.emailVerifications.verify('late', new Date('2030-02-01T00:00:00.000Z')), 'invalid');
    assert.equal(await stores.emailVerifications.verify('nope', new Date('2030-01-01T00:00:00.000Z')), 'invalid');
    assert.equal((await stores.accounts.getUser(id))?.emailVerified, false);
    const gone = await signUp(stores, 'gone', expires);
    await db.kysely.updateTable('users').set({ state: 'deleted' }).where('id', '=', gone).execute();
    assert.equal(await stores.emailVerifications.verify('gone', new Date('2030-01-01T00:00:00.000Z')), 'invalid');
    assert.equal(await stores.emailVerifications.verify('late', new Date('2030-01-01T23:59:59.000Z')), 'verified', 'still valid just before expiry');
  });

  test('an address another account holds verified is not verified again', async () => {
    const { stores, db } = get();
    const now = new Date('2030-01-01T00:00:00.000Z');
    const expires = new Date('2030-01-02T00:00:00.000Z');
    const first = await signUp(stores, 'same-1', expires);
    const second = await signUp(stores, 'same-2', expires);
    await db.kysely.updateTable('users').set({ email: 'shared@example.org' }).where('id', 'in', [first, second]).execute();
    assert.equal(await stores.emailVerifications.verify('same-1', now), 'verified');
    assert.equal(await stores.emailVerifications.verify('same-2', now), 'invalid');
    assert.equal((await stores.accounts.getUser(second))?.emailVerified, false);
    assert.equal((await stores.accounts.getUser(first))?.emailVerified, true);
  });
});
