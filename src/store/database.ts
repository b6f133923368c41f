import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration, type MigrationProvider } from 'kysely';
import pg from 'pg';
import { codecFor, type Codec } from './codec.js';
import { columnTypes, type Dialect, type MigrationContext } from './migrations/column-types.js';
import * as m001 from './migrations/001-reference-schema.js';
import * as m002 from './migrations/002-mvchat-additions.js';
import * as m006 from './migrations/006-files.js';
import * as m007 from './migrations/007-member-version.js';
import type { Database } from './schema.js';
import { SqliteValuesPlugin } from './sqlite-values-plugin.js';
import { withStatementCache } from './sqlite-statement-cache.js';
import { GroupCommit } from './sqlite-group-commit.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';

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
};

// pg returns BIGINT as text by default; our BIGINTs (file sizes) fit a double.
pg.types.setTypeParser(20, (v) => Number(v));

export function openDb(opts: { databaseUrl: string | null; dataDir: string; poolSize?: number; warn?: (msg: string, err: string) => void }): Db {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 20, connectionTimeoutMillis: 5000 });
    // An idle client that errors (server restart) must not crash the process; the pool replaces it.
    pool.on('error', () => {});
    // A checked-out client whose connection drops emits 'error' as well as failing its query;
    // without a listener that event would end the process. The failed query carries the error.
    pool.on('connect', (client) => client.on('error', () => {}));
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { kysely, dialect: 'postgres', codec: codecFor('postgres'), close: () => kysely.destroy() };
  }
  mkdirSync(opts.dataDir, { recursive: true });
  const filePath = path.join(opts.dataDir, 'mvchat.db');
  const file = new SqliteDatabase(filePath);
  file.pragma('journal_mode = WAL');
  file.pragma('synchronous = NORMAL');
  file.pragma('foreign_keys = ON');
  file.pragma('busy_timeout = 5000');
  const cached = withStatementCache(file);
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: cached }), plugins: [new SqliteValuesPlugin()] });
  // Prepared once: the group commit opens one savepoint per message.
  const save = file.prepare('SAVEPOINT one_message');
  const release = file.prepare('RELEASE one_message');
  const undo = file.prepare('ROLLBACK TO one_message');
  const sqlite: SqliteHandle = {
    grouped: (fn) => group.run(fn),
    prepare: (text) => cached.prepare(text) as unknown as SqliteDatabase.Statement,
    transaction: (fn) => file.transaction(fn)(),
    savepoint: (fn) => {
      save.run();
      try {
        const out = fn();
        release.run();
        return out;
      } catch (err) {
        undo.run();
        release.run();
        throw err;
      }
    },
    exclusive: (fn) => {
      if (file.inTransaction) return kysely.connection().execute(async () => fn());
      // Synchronously, now: a deferred call could land inside a transaction begun meanwhile.
      try {
        return Promise.resolve(fn());
      } catch (err) {
        return Promise.reject(err);
      }
    },
  };
  const group = new GroupCommit(sqlite);
  const checkpointer = new SqliteCheckpointer(file, filePath, opts.warn ?? (() => {}));
  const close = async () => {
    await checkpointer.stop();
    await kysely.destroy();
  };
  return { kysely, dialect: 'sqlite', codec: codecFor('sqlite'), sqlite, close };
}

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
