import { sql } from 'kysely';
import type { MigrationContext } from './column-types.js';

/**
 * The sync log (`get sync`): one row per event a session is sent that changes
 * what its user sees. A conversation event is stored once for all members
 * (`user_id` NULL); an event only one user sees (her own changes, her
 * removal, her expiry) names her in `user_id`. Rows hold references (seq, user,
 * small settings), never message content, so erasing or re-encrypting a
 * message never rewrites the log.
 *
 * Events are read in (`stamp`, `pos`) order, and a cursor is such a pair. A
 * reader must never pass an event that commits later. SQLite has one writer:
 * `stamp` is 0 and the rowid `pos` grows in commit order. On PostgreSQL `pos`
 * comes from a sequence (taken before commit, so not in commit order) and
 * `stamp` is at least the writing transaction's id; readers only read
 * events whose stamp is below the oldest transaction still running, so an
 * event that commits later always sorts after everything already read. A
 * message's stamp is also at least that of the conversation's events before
 * it (taken under the conversation's row lock), so a conversation's messages
 * stay in seq order. `sync_state` keeps the highest (stamp, pos) pruned: an
 * older cursor is a gap.
 */
export async function up({ db, dialect, t }: MigrationContext): Promise<void> {
  if (dialect === 'postgres') await sql`create sequence sync_pos`.execute(db);
  await db.schema
    .createTable('sync_events')
    .addColumn('pos', dialect === 'postgres' ? 'bigint' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('stamp', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('conversation_id', t.uuid, (c) => c.notNull())
    .addColumn('user_id', t.uuid)
    .addColumn('kind', 'varchar(32)', (c) => c.notNull())
    .addColumn('from_user', t.uuid, (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('subject', t.uuid)
    .addColumn('extra', 'varchar(64)')
    .addColumn('created_at', t.ts, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('idx_sync_events_conv')
    .on('sync_events')
    .columns(['conversation_id', 'stamp', 'pos'])
    .where(sql.ref('user_id'), 'is', null)
    .execute();
  await db.schema
    .createIndex('idx_sync_events_user')
    .on('sync_events')
    .columns(['user_id', 'stamp', 'pos'])
    .where(sql.ref('user_id'), 'is not', null)
    .execute();
  await db.schema.createIndex('idx_sync_events_created').on('sync_events').column('created_at').execute();
  await db.schema
    .createTable('sync_state')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('floor_stamp', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('floor_pos', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.insertInto('sync_state').values({ id: 1, floor_stamp: 0, floor_pos: 0 }).execute();
}
