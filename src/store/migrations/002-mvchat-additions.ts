import { sql } from 'kysely';
import type { MigrationContext } from './column-types.js';

/** Our additions on top of the reference schema: token epochs, key ids, retry nonces, reference indexes. */
export async function up({ db, t, dialect }: MigrationContext): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('token_epoch', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('users').addColumn('search_name', 'varchar(512)').execute();
  // Backfill for databases taken over from the reference.
  if (dialect === 'postgres') await sql`UPDATE users SET search_name = lower(public->>'fn') WHERE jsonb_typeof(public->'fn') = 'string'`.execute(db);
  else await sql`UPDATE users SET search_name = lower(json_extract(public, '$.fn')) WHERE json_type(public, '$.fn') = 'text'`.execute(db);
  await db.schema.createIndex('idx_users_search_name').on('users').column('search_name').execute();
  await db.schema.alterTable('messages').addColumn('content_key_id', 'integer').execute();
  await db.schema.alterTable('messages').addColumn('nonce', 'varchar(64)').execute();
  await db.schema
    .createIndex('idx_messages_nonce')
    .unique()
    .on('messages')
    .columns(['conversation_id', 'from_user_id', 'nonce'])
    .where(sql.ref('nonce'), 'is not', null)
    .execute();

  await db.schema
    .createTable('message_mentions')
    .addColumn('message_id', t.uuid, (c) => c.notNull().references('messages.id').onDelete('cascade'))
    .addColumn('user_id', t.uuid, (c) => c.notNull())
    .addColumn('conversation_id', t.uuid, (c) => c.notNull())
    .addColumn('created_at', t.ts, (c) => c.notNull())
    .addPrimaryKeyConstraint('message_mentions_pkey', ['message_id', 'user_id'])
    .execute();
  await db.schema.createIndex('idx_message_mentions_user').on('message_mentions').columns(['user_id', 'created_at']).execute();
  if (dialect === 'postgres') {
    // Messages written by the reference keep their mentions in head; index them.
    await sql`INSERT INTO message_mentions (message_id, user_id, conversation_id, created_at)
      SELECT m.id, (x->>'userId')::uuid, m.conversation_id, m.created_at
      FROM messages m, jsonb_array_elements(m.head->'mentions') x
      WHERE jsonb_typeof(m.head->'mentions') = 'array'
        AND x->>'userId' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
      ON CONFLICT DO NOTHING`.execute(db);
  }

  await db.schema
    .createTable('message_files')
    .addColumn('message_id', t.uuid, (c) => c.notNull().references('messages.id').onDelete('cascade'))
    .addColumn('file_id', t.uuid, (c) => c.notNull())
    .addColumn('conversation_id', t.uuid, (c) => c.notNull())
    .addPrimaryKeyConstraint('message_files_pkey', ['message_id', 'file_id'])
    .execute();
  await db.schema.createIndex('idx_message_files_file').on('message_files').column('file_id').execute();
}
