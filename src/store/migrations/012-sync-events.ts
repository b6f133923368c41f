import { sql } from 'kysely';
import type { MigrationContext } from './column-types.js';

/**
 * The sync log (`get sync`): one row per event a session is sent that changes
 * what its user sees. A conversation event is stored once for all members
 * (`user_id` NULL); an event only one user sees (her own changes, her
 * removal) names her in `user_id`. Rows hold references (seq, user, small
 * settings), never message content, so erasing or re-encrypting a message
 * never rewrites the log.
 *
 * `pos` is the cursor. It must grow in commit order, or a reader could pass
 * an event that commits later: SQLite has one writer, so its rowid does;
 * PostgreSQL takes positions from `sync_state.clock` with an UPDATE whose
 * row lock is held until commit, so the next writer gets the next position
 * only after the previous one is visible. `sync_state.floor` is the highest
 * position pruned: an older cursor is a gap.
 */
export async function up({ db, dialect, t }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('sync_events')
    .addColumn('pos', dialect === 'postgres' ? 'bigint' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('conversation_id', t.uuid, (c) => c.notNull())
    .addColumn('user_id', t.uuid)
    .addColumn('kind', 'varchar(32)', (c) => c.notNull())
    .addColumn('from_user', t.uuid, (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('subject', t.uuid)
    .addColumn('extra', 'varchar(64)')
    .addColumn('created_at', t.ts, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('idx_sync_events_conv').on('sync_events').columns(['conversation_id', 'pos']).where(sql.ref('user_id'), 'is', null).execute();
  await db.schema.createIndex('idx_sync_events_user').on('sync_events').columns(['user_id', 'pos']).where(sql.ref('user_id'), 'is not', null).execute();
  await db.schema.createIndex('idx_sync_events_created').on('sync_events').column('created_at').execute();
  await db.schema
    .createTable('sync_state')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('clock', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('floor', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.insertInto('sync_state').values({ id: 1, clock: 0, floor: 0 }).execute();
}
