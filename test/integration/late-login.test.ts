import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { basic } from '../helpers/client.js';
import { PG_URL, PASSWORD, startServer } from '../helpers/server.js';

// A real stall needs a lock another connection can hold: PostgreSQL only (SQLite runs in-process).
test('[postgres] a login that outlives the handler deadline never signs the socket in', { skip: !PG_URL }, async () => {
  const s = await startServer('postgres', {}, { handlerDeadlineMs: 1500 });
  const locker = new pg.Client({ connectionString: s.config.databaseUrl! });
  try {
    const u = await s.user('late01');
    u.client.close();
    await u.client.closed;
    const before = await s.app.deps.stores.accounts.getUser(u.id);

    // Hold the user's row so the login's write (recording the login) blocks past the deadline.
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('SELECT id FROM users WHERE id = $1 FOR UPDATE', [u.id]);

    const c = await s.connect();
    const stalled = await c.request('login', { scheme: 'basic', secret: basic('late01', PASSWORD) });
    assert.deepEqual([stalled.code, stalled.text], [500, 'database error']);
    assert.equal(stalled.params, undefined, 'no token in the error');
    // The next frames are handled as for a signed-out socket.
    const next = await c.request('get', { what: 'contacts' });
    assert.deepEqual([next.code, next.text], [401, 'authentication required']);

    // Let the stalled login finish its write, and wait until it has.
    await locker.query('COMMIT');
    const seen = async () => (await s.app.deps.stores.accounts.getUser(u.id))?.lastSeen?.getTime();
    while ((await seen()) === before?.lastSeen?.getTime()) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await c.request('hi', {})).code, 200);

    // Still signed out: protected ops are refused and the user has no session on the server.
    const after = await c.request('get', { what: 'contacts' });
    assert.deepEqual([after.code, after.text], [401, 'authentication required']);
    assert.equal(s.app.registry.hasUser(u.id), false);
    assert.equal(c.ws.readyState, c.ws.OPEN);
    // The socket is still usable: a login now succeeds as usual.
    assert.equal((await c.request('login', { scheme: 'basic', secret: basic('late01', PASSWORD) })).code, 200);
    assert.equal((await c.request('get', { what: 'contacts' })).code, 200);
    c.close();
  } finally {
    await locker.end().catch(() => {});
    await s.close();
  }
});
