import type SqliteDatabase from 'better-sqlite3';
import { Migrator, type Kysely, type Migration, type MigrationProvider, type Transaction } from 'kysely';
import type { Codec } from './codec.js';
import { columnTypes, type Dialect, type MigrationContext } from './migrations/column-types.js';
import * as m001 from './migrations/001-reference-schema.js';
import * as m002 from './migrations/002-mvchat-additions.js';
import * as m006 from './migrations/006-files.js';
import * as m007 from './migrations/007-member-version.js';
import * as m008 from './migrations/008-account-email-private.js';
import * as m009 from './migrations/009-sessions.js';
import * as m010 from './migrations/010-privacy.js';
import * as m011 from './migrations/011-account-deletion.js';
import * as m012 from './migrations/012-sync-events.js';
import type { Database } from './schema.js';

/** A transaction a caller may join a store write to (sign-up redeeming its invites); opaque above the store. */
export type StoreTransaction = Transaction<Database>;

export interface Db {
  kysely: Kysely<Database>;
  dialect: Dialect;
  codec: Codec;
  /**
   * SQLite only: the file's handle for hot paths that run a whole transaction
   * synchronously. Run such work through `exclusive`, never while a Kysely
   * transaction holds the single connection.
   */
  sqlite?: SqliteHandle;
  close(): Promise<void>;
}

export interface SqliteHandle {
  prepare(sql: string): SqliteDatabase.Statement;
  transaction<T>(fn: () => T): T;
  /** Inside a transaction: runs `fn` in a savepoint, undone alone when `fn` throws. */
  savepoint<T>(fn: () => T): T;
  /**
   * Runs synchronous work on the connection: at once when no transaction is
   * open on it (nothing can interleave with synchronous code), otherwise
   * after the Kysely transaction that holds it ends.
   */
  exclusive<T>(fn: () => T): Promise<T>;
  /** Runs a synchronous write with the others of this turn in one transaction (see GroupCommit). */
  grouped<T>(fn: () => T): Promise<T>;
}

const MIGRATIONS: Record<string, { up(ctx: MigrationContext): Promise<void> }> = {
  '001-reference-schema': m001,
  '002-mvchat-additions': m002,
  '006-files': m006,
  '007-member-version': m007,
  '008-account-email-private': m008,
  '009-sessions': m009,
  '010-privacy': m010,
  '011-account-deletion': m011,
  '012-sync-events': m012,
};

/**
 * Applies pending migrations. On PostgreSQL Kysely's migrator holds an
 * advisory lock for the whole run, so nodes starting at once migrate once.
 */
export async function migrate(db: Db): Promise<void> {
  const t = columnTypes(db.dialect);
  const provider: MigrationProvider = {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, m] of Object.entries(MIGRATIONS)) {
        out[name] = { up: (k) => m.up({ db: k, dialect: db.dialect, t }) };
      }
      return out;
    },
  };
  const migrator = new Migrator({ db: db.kysely, provider, migrationTableName: 'mvchat_migration', migrationLockTableName: 'mvchat_migration_lock' });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
