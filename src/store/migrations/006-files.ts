import { sql } from 'kysely';
import type { MigrationContext } from './column-types.js';

/** Indexes the reference lists for files (§8.1) but never created: by uploader, and pending rows for recovery. */
export async function up({ db }: MigrationContext): Promise<void> {
  await db.schema.createIndex('idx_files_uploader').ifNotExists().on('files').column('uploader_id').execute();
  await db.schema.createIndex('idx_files_pending').ifNotExists().on('files').column('updated_at').where(sql.ref('status'), '=', 'pending').execute();
}
