import { sql } from 'kysely';
import type { MigrationContext } from './column-types.js';

/**
 * The reference server's effective schema at version 10 (PROTOCOL §8.1),
 * created only where missing so a database written by the reference is kept.
 */
export async function up({ db, t, dialect }: MigrationContext): Promise<void> {
  const pg = dialect === 'postgres';
  await db.schema
    .createTable('users')
    .ifNotExists()
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('created_at', t.ts, (c) => c.notNull().defaultTo(t.now))
    .addColumn('updated_at', t.ts, (c) => c.notNull().defaultTo(t.now))
    .addColumn('state', 'varchar(16)', (c) => c.notNull().defaultTo('ok'))
    .addColumn('state_at', t.ts)
    .addColumn('public', t.json)
    .addColumn('last_seen', t.ts)
    .addColumn('user_agent', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('must_change_password', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('email', 'varchar(255)')
    .addColumn('email_verified', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('email_verification_token', 'varchar(64)')
    .addColumn('email_verification_expires', t.ts)
    .addColumn('lang', 'varchar(10)')
    .execute();
  await db.schema.createIndex('idx_users_email').ifNotExists().unique().on('users').column('email').where(sql.ref('email'), 'is not', null).execute();
  await db.schema
    .createIndex('idx_users_verification_token')
    .ifNotExists()
    .on('users')
    .column('email_verification_token')
    .where(sql.ref('email_verification_token'), 'is not', null)
    .execute();

  await db.schema
    .createTable('auth')
    .ifNotExists()
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('user_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('scheme', 'varchar(16)', (c) => c.notNull())
    .addColumn('secret', 'varchar(255)', (c) => c.notNull())
    .addColumn('uname', 'varchar(64)')
    .addColumn('expires_at', t.ts)
    .addColumn('created_at', t.ts, (c) => c.notNull().defaultTo(t.now))
    .addUniqueConstraint('auth_scheme_uname_key', ['scheme', 'uname'])
    .execute();
  await db.schema.createIndex('idx_auth_user_id').ifNotExists().on('auth').column('user_id').execute();

  await db.schema
    .createTable('conversations')
    .ifNotExists()
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('created_at', t.ts, (c) => c.notNull().defaultTo(t.now))
    .addColumn('updated_at', t.ts, (c) => c.notNull().defaultTo(t.now))
    .addColumn('type', 'varchar(8)', (c) => c.notNull())
    .addColumn('owner_id', t.uuid, (c) => c.references('users.id').onDelete('set null'))
    .addColumn('public', t.json)
    .addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_msg_at', t.ts)
    .addColumn('del_id', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('disappearing_ttl', 'integer')
    .addColumn('pinned_message_id', t.uuid)
    .addColumn('pinned_at', t.ts)
    .addColumn('pinned_by', t.uuid, (c) => c.references('users.id').onDelete('set null'))
    .addColumn('no_screenshots', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema.createIndex('idx_conversations_last_msg_at').ifNotExists().on('conversations').column('last_msg_at').execute();

  await db.schema
    .createTable('dm_participants')
    .ifNotExists()
    .addColumn('conversation_id', t.uuid, (c) => c.primaryKey().references('conversations.id').onDelete('cascade'))
    .addColumn('user1_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('user2_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addUniqueConstraint('dm_participants_user1_id_user2_id_key', ['user1_id', 'user2_id'])
    .addCheckConstraint('dm_participants_check', sql`user1_id < user2_id`)
    .execute();
  await db.schema.createIndex('idx_dm_participants_user2').ifNotExists().on('dm_participants').column('user2_id').execute();

  await db.schema
    .createTable('members')
    .ifNotExists()
    .addColumn('conversation_id', t.uuid, (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('user_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', t.ts, (c) => c.notNull().defaultTo(t.now))
    .addColumn('updated_at', t.ts, (c) => c.notNull().defaultTo(t.now))
    .addColumn('role', 'varchar(16)', (c) => c.notNull().defaultTo('member'))
    .addColumn('read_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('recv_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('clear_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('favorite', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('muted', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('blocked', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('private', t.json)
    .addColumn('deleted_at', t.ts)
    .addPrimaryKeyConstraint('members_pkey', ['conversation_id', 'user_id'])
    .execute();
  await db.schema.createIndex('idx_members_user_active').ifNotExists().on('members').column('user_id').where(sql.ref('deleted_at'), 'is', null).execute();

  await db.schema
    .createTable('messages')
    .ifNotExists()
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('conversation_id', t.uuid, (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('from_user_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', t.ts, (c) => c.notNull().defaultTo(t.now))
    .addColumn('updated_at', t.ts, (c) => c.notNull().defaultTo(t.now))
    .addColumn('content', t.bytes)
    .addColumn('head', t.json)
    .addColumn('deleted_at', t.ts)
    .addColumn('view_once', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('view_once_ttl', 'integer')
    .addUniqueConstraint('messages_conversation_id_seq_key', ['conversation_id', 'seq'])
    .execute();
  await db.schema.createIndex('idx_messages_from_user').ifNotExists().on('messages').column('from_user_id').execute();
  if (pg) {
    // The reference's own foreign key, added after messages exists.
    await sql`DO $$ BEGIN
      ALTER TABLE conversations ADD CONSTRAINT conversations_pinned_message_id_fkey
        FOREIGN KEY (pinned_message_id) REFERENCES messages(id) ON DELETE SET NULL;
      EXCEPTION WHEN duplicate_object THEN NULL; END $$`.execute(db);
  }

  await db.schema
    .createTable('message_deletions')
    .ifNotExists()
    .addColumn('message_id', t.uuid, (c) => c.notNull().references('messages.id').onDelete('cascade'))
    .addColumn('user_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('deleted_at', t.ts, (c) => c.notNull().defaultTo(t.now))
    .addPrimaryKeyConstraint('message_deletions_pkey', ['message_id', 'user_id'])
    .execute();
  await db.schema.createIndex('idx_message_deletions_user').ifNotExists().on('message_deletions').column('user_id').execute();

  await db.schema
    .createTable('message_reads')
    .ifNotExists()
    .addColumn('message_id', t.uuid, (c) => c.notNull().references('messages.id').onDelete('cascade'))
    .addColumn('user_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('read_at', t.ts, (c) => c.notNull().defaultTo(t.now))
    .addColumn('expires_at', t.ts)
    .addColumn('expired', 'boolean', (c) => c.notNull().defaultTo(false))
    .addPrimaryKeyConstraint('message_reads_pkey', ['message_id', 'user_id'])
    .execute();
  await db.schema
    .createIndex('idx_message_reads_expires')
    .ifNotExists()
    .on('message_reads')
    .column('expires_at')
    .where(sql.ref('expires_at'), 'is not', null)
    .execute();

  await db.schema
    .createTable('files')
    .ifNotExists()
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('uploader_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', t.ts, (c) => c.notNull().defaultTo(t.now))
    .addColumn('updated_at', t.ts, (c) => c.notNull().defaultTo(t.now))
    .addColumn('mime_type', 'varchar(128)', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('original_name', 'varchar(512)')
    .addColumn('location', 'varchar(512)', (c) => c.notNull())
    .addColumn('hash', 'varchar(64)')
    .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('pending'))
    .addColumn('deleted_at', t.ts)
    .execute();
  await db.schema.createIndex('idx_files_hash').ifNotExists().on('files').column('hash').execute();

  await db.schema
    .createTable('file_metadata')
    .ifNotExists()
    .addColumn('file_id', t.uuid, (c) => c.primaryKey().references('files.id').onDelete('cascade'))
    .addColumn('width', 'integer')
    .addColumn('height', 'integer')
    .addColumn(pg ? 'duration' : 'duration', pg ? 'double precision' : 'real')
    .addColumn('thumbnail', 'text')
    .addColumn('extra', t.json)
    .addColumn('created_at', t.ts, (c) => c.notNull().defaultTo(t.now))
    .execute();

  await db.schema
    .createTable('invite_codes')
    .ifNotExists()
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('inviter_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('code', 'varchar(10)', (c) => c.notNull().unique())
    .addColumn('token', 'text', (c) => c.notNull())
    .addColumn('email', 'varchar(255)', (c) => c.notNull())
    .addColumn('invitee_name', 'varchar(128)')
    .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('pending'))
    .addColumn('used_at', t.ts)
    .addColumn('used_by', t.uuid, (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', t.ts, (c) => c.notNull().defaultTo(t.now))
    .addColumn('expires_at', t.ts, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('idx_invite_codes_inviter').ifNotExists().on('invite_codes').column('inviter_id').execute();
  await db.schema.createIndex('idx_invite_codes_email').ifNotExists().on('invite_codes').column('email').execute();

  await db.schema
    .createTable('contacts')
    .ifNotExists()
    .addColumn('user_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('contact_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('source', 'varchar(16)', (c) => c.notNull().defaultTo('invite'))
    .addColumn('nickname', 'varchar(64)')
    .addColumn('invite_id', t.uuid, (c) => c.references('invite_codes.id').onDelete('set null'))
    .addColumn('created_at', t.ts, (c) => c.notNull().defaultTo(t.now))
    .addPrimaryKeyConstraint('contacts_pkey', ['user_id', 'contact_id'])
    .execute();
  await db.schema.createIndex('idx_contacts_contact').ifNotExists().on('contacts').column('contact_id').execute();

  await db.schema
    .createTable('schema_version')
    .ifNotExists()
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('applied_at', t.ts, (c) => c.notNull().defaultTo(t.now))
    .execute();
  await sql`INSERT INTO schema_version (version) VALUES (10) ON CONFLICT DO NOTHING`.execute(db);
}
