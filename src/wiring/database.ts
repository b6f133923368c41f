import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { codecFor } from '../store/codec.js';
import type { Db, SqliteHandle } from '../store/database.js';
import type { Database } from '../store/schema.js';
import { SqliteValuesPlugin } from '../store/sqlite-values-plugin.js';
import { withStatementCache } from '../store/sqlite-statement-cache.js';
import { GroupCommit } from '../store/sqlite-group-commit.js';
import { SqliteCheckpointer } from '../store/sqlite-checkpointer.js';

export interface DbOptions {
  /** PostgreSQL when set; otherwise SQLite under `dataDir`. */
  databaseUrl: string | null;
  dataDir: string;
  poolSize?: number;
  warn?: (msg: string, err: string) => void;
}

/** Opens the database the configuration names: PostgreSQL (`DATABASE_URL`) or the embedded SQLite file. */
// pg returns BIGINT as text by default; our BIGINTs (file sizes) fit a double.
pg.types.setTypeParser(20, (v) => Number(v));

export function openDb(opts: DbOptions): Db {
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
