import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate, type Db } from '../../src/store/database.js';
import { openDb } from '../../src/wiring/database.js';
import { createStores } from '../../src/wiring/stores.js';
import type { Stores } from '../../src/store/stores.js';
import { freshPgDatabase, type Backend } from './server.js';

/** A migrated, empty database of the given kind, for store conformance suites. */
export async function openTestStores(backend: Backend): Promise<{ stores: Stores; db: Db; close: () => Promise<void> }> {
  if (backend === 'postgres') {
    const pg = await freshPgDatabase();
    const db = openDb({ databaseUrl: pg.url, dataDir: '' });
    await migrate(db);
    return { stores: createStores(db), db, close: async () => { await db.close(); await pg.drop(); } };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'mvchat-store-'));
  const db = openDb({ databaseUrl: null, dataDir: dir });
  await migrate(db);
  return { stores: createStores(db), db, close: async () => { await db.close(); rmSync(dir, { recursive: true, force: true }); } };
}
