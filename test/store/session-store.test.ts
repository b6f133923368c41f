import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Stores } from '../../src/store/stores.js';
import { storeSuite } from '../helpers/store.js';

async function signUp(stores: Stores): Promise<string> {
  const id = randomUUID();
  const r = await stores.accounts.createAccount({
    id,
    username: `u${id.slice(0, 8)}`,
    passwordHash: '$argon2id$x$y',
    public: null,
    email: null,
    emailVerified: true,
    mustChangePassword: false,
  });
  assert.equal(r, 'created');
  return id;
}

const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s));
const start = (stores: Stores, userId: string, s: number, legacyKey?: string) =>
  stores.sessions.create({ id: randomUUID(), userId, ua: 'ua', deviceId: 'd', lang: 'en', ip: '203.0.113.x', legacyKey, at: at(s) });

storeSuite('session store', (get) => {
  test('sessions are listed oldest first; ending is once, only by their owner; endBeyond ends the oldest', async () => {
    const { stores } = get();
    const u = await signUp(stores);
    const v = await signUp(stores);
    const a = await start(stores, u, 1);
    const b = await start(stores, u, 2);
    const c = await start(stores, u, 3);
    assert.deepEqual(
      (await stores.sessions.listActive(u, at(0))).map((s) => s.id),
      [a.id, b.id, c.id],
    );
    assert.equal(await stores.sessions.end(v, a.id, at(4)), false, 'not hers');
    assert.deepEqual(await Promise.all([stores.sessions.end(u, a.id, at(4)), stores.sessions.end(u, a.id, at(4))]).then((r) => r.filter(Boolean).length), 1);
    assert.deepEqual((await stores.sessions.get(a.id))?.endedAt, at(4));
    assert.deepEqual(await stores.sessions.endBeyond(u, 1, at(0), at(5)), [b.id]);
    assert.deepEqual(
      (await stores.sessions.listActive(u, at(0))).map((s) => s.id),
      [c.id],
    );
    assert.deepEqual(
      (await stores.sessions.listActive(u, at(3))).map((s) => s.id),
      [],
      'started before `since`: not live',
    );
    await stores.sessions.touch(c.id, at(9));
    assert.deepEqual((await stores.sessions.get(c.id))?.lastActive, at(9));
  });

  test('endAllBut keeps one session, ends the rest and raises the cutoff; deleteAllFor erases hers only', async () => {
    const { stores } = get();
    const u = await signUp(stores);
    const v = await signUp(stores);
    const keep = await start(stores, u, 1);
    const other = await start(stores, u, 2, 'legacy-hash');
    const theirs = await start(stores, v, 3);
    assert.deepEqual(await stores.sessions.endAllBut(u, keep.id, at(10)), [other.id]);
    assert.equal((await stores.accounts.getUser(u))?.sessionCutoff, Math.floor(at(10).getTime() / 1000) + 1);
    assert.equal((await stores.sessions.findLegacy(u, 'legacy-hash'))?.endedAt?.getTime(), at(10).getTime());
    assert.deepEqual(await stores.sessions.endAllBut(u, null, at(5)), [keep.id]);
    assert.equal((await stores.accounts.getUser(u))?.sessionCutoff, Math.floor(at(10).getTime() / 1000) + 1, 'the cutoff never goes back');
    await stores.sessions.pruneEnded(u, at(8));
    assert.equal(await stores.sessions.get(keep.id), null, 'ended before the prune point');
    assert.ok(await stores.sessions.get(other.id));
    await stores.sessions.deleteAllFor(u);
    assert.equal(await stores.sessions.get(other.id), null);
    assert.ok(await stores.sessions.get(theirs.id));
  });

  test('suspend marks the account suspended', async () => {
    const { stores } = get();
    const u = await signUp(stores);
    assert.equal(await stores.accounts.suspend(u), true);
    assert.equal((await stores.accounts.getUser(u))?.state, 'suspended');
    assert.equal(await stores.accounts.suspend(randomUUID()), false);
  });
});
