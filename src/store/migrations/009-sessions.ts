import type { MigrationContext } from './column-types.js';

/**
 * Sessions (devices): one row per login with a password, continued by the
 * token logins of its tokens. `ip` holds the masked address only. An ended
 * session keeps its row (`ended_at`) until its tokens have all expired, so a
 * token that names no session (`legacy_key`, a hash of it) cannot start a
 * fresh one after its session was ended. `users.session_cutoff` (Unix
 * seconds): tokens naming no session issued before it are refused.
 */
export async function up({ db, t }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('sessions')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('user_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', t.ts, (c) => c.notNull())
    .addColumn('last_active', t.ts, (c) => c.notNull())
    .addColumn('ua', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('device_id', 'varchar(128)', (c) => c.notNull().defaultTo(''))
    .addColumn('lang', 'varchar(16)', (c) => c.notNull().defaultTo(''))
    .addColumn('ip', 'varchar(64)', (c) => c.notNull().defaultTo(''))
    .addColumn('legacy_key', 'varchar(64)')
    .addColumn('ended_at', t.ts)
    .execute();
  await db.schema.createIndex('idx_sessions_user').on('sessions').columns(['user_id', 'created_at']).execute();
  await db.schema.createIndex('idx_sessions_legacy').on('sessions').columns(['user_id', 'legacy_key']).unique().execute();
  await db.schema
    .alterTable('users')
    .addColumn('session_cutoff', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
}
