import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { basic, type TestClient } from '../helpers/client.js';
import { freshPgDatabase, PG_URL, PASSWORD } from '../helpers/server.js';
import { REDIS_URL, clusterEnv, signUp, startNode, type NodeProcess } from '../helpers/node-process.js';

const skip = !PG_URL || !REDIS_URL ? 'needs MVCHAT_TEST_DATABASE_URL and MVCHAT_TEST_REDIS_URL' : false;

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('account deletion on one node closes her sockets on the other within 2 s (4010)', { skip, timeout: 60_000 }, async () => {
  const db = await freshPgDatabase();
  const env = clusterEnv(db.url);
  const [a, b] = await Promise.all([startNode(env, `a-${env.MVCHAT_REDIS_PREFIX}`), startNode(env, `b-${env.MVCHAT_REDIS_PREFIX}`)]);
  try {
    const her = await signUp(a!, 'her_multi');
    const peer = await signUp(b!, 'peer_multi');
    const herOnB = await b!.connect();
    assert.equal((await herOnB.request('login', { scheme: 'token', secret: her.token })).code, 200);
    const conv = (await her.client.request('dm', { user: peer.id })).params.conv;
    assert.equal((await peer.client.request('send', { conv, content: { v: 1, text: 'hi' } })).code, 202);

    const started = Date.now();
    const r = await her.client.request('acc', { user: 'me', delete: { password: PASSWORD } });
    assert.deepEqual([r.code, r.params], [200, { deleted: true }]);
    const closed = await Promise.race([herOnB.closed, new Promise<null>((res) => setTimeout(() => res(null), 2000))]);
    assert.ok(closed, 'her socket on the other node closed within 2 s');
    assert.equal(closed.code, 4010);
    assert.ok(Date.now() - started < 2000);
    assert.equal((await her.client.closed).code, 4010);
    // The other node sees her deleted at once.
    const send = await peer.client.request('send', { conv, content: { v: 1, text: 'still there?' } });
    assert.deepEqual([send.code, send.text], [403, 'account deleted']);
    const again = await b!.connect();
    const login = await again.request('login', { scheme: 'token', secret: her.token });
    assert.deepEqual([login.code, login.text], [401, 'user not found']);
  } finally {
    await Promise.all([a!.kill(), b!.kill()]);
    await db.drop();
  }
});

test('an erase job stopped halfway by a killed node is finished by the next node on the same database', { skip, timeout: 90_000 }, async () => {
  const db = await freshPgDatabase();
  const env: Record<string, string> = { ...clusterEnv(db.url), MVCHAT_DELETION_LEASE: '1' };
  const probe = new pg.Client({ connectionString: db.url });
  const locker = new pg.Client({ connectionString: db.url });
  let first: NodeProcess | null = await startNode(env, `k1-${env.MVCHAT_REDIS_PREFIX}`);
  let second: NodeProcess | null = null;
  try {
    await probe.connect();
    await locker.connect();
    const her = await signUp(first, 'her_restart');
    const peer = await signUp(first, 'peer_restart');
    assert.equal((await her.client.request('contact', { add: peer.id })).code, 200);
    const room = (await her.client.request('room', { id: 'new', action: 'create', desc: { public: { fn: 'R' } } })).params.conv;
    assert.equal((await her.client.request('room', { id: room, action: 'invite', user: peer.id })).code, 200);

    // Hold her contact rows: the erase-contacts step blocks on them.
    await locker.query('BEGIN');
    await locker.query('SELECT * FROM contacts WHERE user_id = $1 OR contact_id = $1 FOR UPDATE', [her.id]);
    assert.equal((await her.client.request('acc', { user: 'me', delete: { password: PASSWORD } })).code, 200);
    const job = async () => (await probe.query('SELECT last_step, done_at FROM account_deletions WHERE user_id = $1', [her.id])).rows[0];
    await until('the job to reach the blocked step', async () => (await job())?.last_step === 'revoke-invites');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await job()).done_at, null);
    await first.kill();
    first = null;
    await locker.query('ROLLBACK');

    // Halfway: already deleted for everyone, not yet erased.
    const state = (await probe.query('SELECT state, public FROM users WHERE id = $1', [her.id])).rows[0];
    assert.deepEqual(state, { state: 'deleted', public: null });
    assert.equal((await probe.query('SELECT role FROM members WHERE conversation_id = $1 AND user_id = $2', [room, her.id])).rows[0].role, 'owner');

    second = await startNode(env, `k2-${env.MVCHAT_REDIS_PREFIX}`);
    await until('the job to finish', async () => (await job())?.done_at);
    assert.equal((await job()).last_step, 'erase-files');
    const contacts = await probe.query('SELECT 1 FROM contacts WHERE user_id = $1 OR contact_id = $1', [her.id]);
    assert.equal(contacts.rowCount, 0);
    const owner = await probe.query('SELECT owner_id FROM conversations WHERE id = $1', [room]);
    assert.equal(owner.rows[0].owner_id, peer.id, 'the room passed to the remaining member');
    const c = await second.connect();
    const login = await c.request('login', { scheme: 'basic', secret: basic('her_restart', PASSWORD) });
    assert.deepEqual([login.code, login.text], [401, 'invalid credentials']);
  } finally {
    await locker.end().catch(() => undefined);
    await probe.end().catch(() => undefined);
    await first?.kill();
    await second?.kill();
    await db.drop();
  }
});
