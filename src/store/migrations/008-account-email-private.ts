import { sql } from 'kysely';
import type { MigrationContext } from './column-types.js';

/**
 * `users.private`: the owner's private data (`acc me {desc:{private}}`),
 * returned to her only. The unique e-mail slot now holds verified addresses
 * only: an address someone typed without proving it no longer keeps its
 * owner from signing up or verifying it. Unverified addresses stay looked up
 * through a plain index.
 */
export async function up({ db, t, dialect }: MigrationContext): Promise<void> {
  await db.schema.alterTable('users').addColumn('private', t.json).execute();
  await db.schema.dropIndex('idx_users_email').ifExists().execute();
  const verified = dialect === 'postgres' ? sql`email_verified` : sql`email_verified = 1`;
  await sql`CREATE UNIQUE INDEX idx_users_email ON users (email) WHERE email IS NOT NULL AND ${verified}`.execute(db);
  await db.schema.createIndex('idx_users_email_any').on('users').column('email').where(sql.ref('email'), 'is not', null).execute();
}
