import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { migrate, type Db } from '../../src/store/database.js';
import { openDb } from '../../src/wiring/database.js';
import { createStores } from '../../src/wiring/stores.js';
import type { Stores } from '../../src/store/stores.js';
import { backends, freshPgDatabase, type Backend } from '../helpers/server.js';

async function withStores(backend: Backend, fn: (stores: Stores, db: Db) => Promise<void>): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mvchat-store-'));
  const pgdb = backend === 'postgres' ? await freshPgDatabase() : null;
  const db = openDb({ databaseUrl: pgdb?.url ?? null, dataDir });
  try {
    await migrate(db);
    await fn(createStores(db), db);
  } finally {
    await db.close();
    await pgdb?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function users(db: Db, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => randomUUID());
  await db.kysely.insertInto('users').values(ids.map((id) => ({ id }))).execute();
  return ids;
}

for (const backend of backends()) {
  test(`[${backend}] findOrCreateDm: one conversation per unordered pair under concurrency`, async () => {
    await withStores(backend, async ({ conversations }, db) => {
      const [a, b, c] = (await users(db, 3)) as [string, string, string];
      const results = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? conversations.findOrCreateDm(a, b) : conversations.findOrCreateDm(b, a))));
      assert.equal(new Set(results.map((r) => r.convId)).size, 1);
      assert.equal(results.filter((r) => r.created).length, 1);
      const pair = await db.kysely.selectFrom('dm_participants').selectAll().execute();
      assert.equal(pair.length, 1);
      assert.ok(pair[0]!.user1_id < pair[0]!.user2_id);
      assert.equal((await db.kysely.selectFrom('conversations').select('id').execute()).length, 1);
      const members = await db.kysely.selectFrom('members').select(['user_id', 'role']).execute();
      assert.deepEqual(members.map((m) => m.role), ['member', 'member']);
      // A participant removed by the reference server's DM leave is restored by starting the DM again.
      await db.kysely.updateTable('members').set({ deleted_at: new Date() }).where('user_id', '=', a).execute();
      assert.equal((await conversations.findOrCreateDm(b, a)).convId, results[0]!.convId);
      assert.equal((await conversations.listForUser(a)).length, 1);
      const other = await conversations.findOrCreateDm(c, a);
      assert.notEqual(other.convId, results[0]!.convId);
    });
  });

  test(`[${backend}] addMember keeps an active member's role and resets a removed one`, async () => {
    await withStores(backend, async ({ conversations, membership }, db) => {
      const [owner, x] = (await users(db, 2)) as [string, string];
      const conv = await conversations.createRoom(owner, { fn: 'R' });
      await conversations.addMember(conv, owner);
      assert.equal((await membership.getActiveMembership(conv, owner))?.role, 'owner');
      await conversations.addMember(conv, x);
      assert.equal(await conversations.setRole(conv, x, 'admin'), true);
      await conversations.addMember(conv, x);
      assert.equal((await membership.getActiveMembership(conv, x))?.role, 'admin');
      assert.equal(await conversations.removeMember(conv, x, ['member']), false);
      assert.equal(await conversations.removeMember(conv, x, ['admin', 'member']), true);
      assert.equal(await membership.getActiveMembership(conv, x), null);
      assert.equal(await conversations.setRole(conv, x, 'admin'), false);
      await conversations.addMember(conv, x);
      assert.equal((await membership.getActiveMembership(conv, x))?.role, 'member');
      assert.equal(await conversations.setRole(conv, owner, 'member'), false);
      assert.equal(await conversations.removeMember(conv, owner, ['admin', 'member']), false);
    });
  });

  test(`[${backend}] settings, TTL and public data apply together`, async () => {
    await withStores(backend, async ({ conversations }, db) => {
      const [owner] = (await users(db, 1)) as [string];
      const conv = await conversations.createRoom(owner, { fn: 'R' });
      await conversations.updateSettings(conv, owner, { favorite: true, private: null }, { ttl: 60, noScreenshots: true });
      const [l] = await conversations.listForUser(owner);
      assert.equal(l?.conversation.disappearingTtl, 60);
      assert.equal(l?.conversation.noScreenshots, true);
      assert.deepEqual(l?.conversation.public, { fn: 'R' });
      assert.equal(l?.membership.favorite, true);
      await conversations.updateConversation(conv, { ttl: null, public: { fn: 'S' } });
      const one = await conversations.listing(conv, owner);
      assert.equal(one?.conversation.disappearingTtl, null);
      assert.deepEqual(one?.conversation.public, { fn: 'S' });
      assert.equal(one?.conversation.noScreenshots, true);
    });
  });
}
