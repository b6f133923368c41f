import { afterEach, beforeEach, describe } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { migrate, type Db } from '../../src/store/database.js';
import { openDb } from '../../src/wiring/database.js';
import { createStores } from '../../src/wiring/stores.js';
import type { Stores } from '../../src/store/stores.js';
import type { NewMessage } from '../../src/store/message-record.js';
import { backends, freshPgDatabase, PG_URL, type Backend } from './server.js';

/** A migrated, empty database of the given kind, for store conformance suites. */
export async function openTestStores(backend: Backend): Promise<{ stores: Stores; db: Db; close: () => Promise<void> }> {
  if (backend === 'postgres') {
    const pg = await freshPgDatabase();
    const db = openDb({ databaseUrl: pg.url, dataDir: '' });
    await migrate(db);
    return {
      stores: createStores(db),
      db,
      close: async () => {
        await db.close();
        await pg.drop();
      },
    };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'mvchat-store-'));
  const db = openDb({ databaseUrl: null, dataDir: dir });
  await migrate(db);
  return {
    stores: createStores(db),
    db,
    close: async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What each test of a store suite gets: every store over one fresh database, the database itself, and its kind. */
export interface StoreTest {
  stores: Stores;
  db: Db;
  backend: Backend;
}

/**
 * Runs `body`'s tests once per database: SQLite always, PostgreSQL when
 * MVCHAT_TEST_DATABASE_URL is set (required when MVCHAT_TEST_REQUIRE_SERVICES=1,
 * as in CI). Every test gets a fresh, migrated database through `get()`,
 * closed and dropped after it.
 */
export function storeSuite(name: string, body: (get: () => StoreTest) => void): void {
  if (process.env.MVCHAT_TEST_REQUIRE_SERVICES === '1' && !PG_URL) {
    throw new Error(`store suite "${name}": MVCHAT_TEST_DATABASE_URL is required when MVCHAT_TEST_REQUIRE_SERVICES=1`);
  }
  for (const backend of backends()) {
    describe(`[${backend}] ${name}`, () => {
      let current: (StoreTest & { close: () => Promise<void> }) | null = null;
      beforeEach(async () => {
        current = { ...(await openTestStores(backend)), backend };
      });
      afterEach(async () => {
        const c = current;
        current = null;
        await c?.close();
      });
      body(() => {
        if (!current) throw new Error('store suite: get() called outside a test');
        return current;
      });
    });
  }
}

/** `n` bare user rows; their ids. */
export async function insertUsers(db: Db, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => randomUUID());
  await db.kysely
    .insertInto('users')
    .values(ids.map((id) => ({ id })))
    .execute();
  return ids;
}

/** A room with `users` fresh users as plain members. */
export async function insertRoom(db: Db, users = 2): Promise<{ conv: string; ids: string[] }> {
  const ids = await insertUsers(db, users);
  const conv = randomUUID();
  await db.kysely.insertInto('conversations').values({ id: conv, type: 'room' }).execute();
  await db.kysely
    .insertInto('members')
    .values(ids.map((user_id) => ({ conversation_id: conv, user_id })))
    .execute();
  return { conv, ids };
}

/** A send as the send op builds it, with no mentions, files or nonce unless given. */
export function newMessage(conv: string, from: string, extra: Partial<NewMessage> = {}): NewMessage {
  return {
    conversationId: conv,
    from,
    content: Buffer.from('sealed'),
    keyId: 1,
    head: {},
    viewOnce: false,
    viewOnceTtl: null,
    nonce: null,
    mentions: [],
    fileRefs: [],
    at: new Date(),
    memberVersion: 0,
    ...extra,
  };
}
