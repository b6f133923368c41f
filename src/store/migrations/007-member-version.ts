import { sql } from 'kysely';
import type { MigrationContext } from './column-types.js';

/**
 * `conversations.member_version` goes up whenever who is in a conversation or
 * who blocks in it changes, by trigger so that no write path can forget it.
 * Nodes cache member lists per conversation and compare versions: a send
 * reads the version in the same statement that allocates its seq, so the
 * recipients of every stored message are the members as of that commit.
 */
export async function up({ db, dialect }: MigrationContext): Promise<void> {
  await db.schema
    .alterTable('conversations')
    .addColumn('member_version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  if (dialect === 'postgres') {
    await sql`CREATE OR REPLACE FUNCTION mvchat_bump_member_version() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE conversations SET member_version = member_version + 1
          WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.conversation_id ELSE NEW.conversation_id END;
        RETURN NULL;
      END $$`.execute(db);
    await sql`CREATE TRIGGER members_version_change AFTER INSERT OR DELETE ON members
      FOR EACH ROW EXECUTE FUNCTION mvchat_bump_member_version()`.execute(db);
    await sql`CREATE TRIGGER members_version_update AFTER UPDATE OF deleted_at, blocked ON members
      FOR EACH ROW WHEN (OLD.deleted_at IS DISTINCT FROM NEW.deleted_at OR OLD.blocked IS DISTINCT FROM NEW.blocked)
      EXECUTE FUNCTION mvchat_bump_member_version()`.execute(db);
    return;
  }
  await sql`CREATE TRIGGER members_version_insert AFTER INSERT ON members BEGIN
    UPDATE conversations SET member_version = member_version + 1 WHERE id = NEW.conversation_id; END`.execute(db);
  await sql`CREATE TRIGGER members_version_delete AFTER DELETE ON members BEGIN
    UPDATE conversations SET member_version = member_version + 1 WHERE id = OLD.conversation_id; END`.execute(db);
  await sql`CREATE TRIGGER members_version_update AFTER UPDATE OF deleted_at, blocked ON members
    WHEN OLD.deleted_at IS NOT NEW.deleted_at OR OLD.blocked IS NOT NEW.blocked BEGIN
    UPDATE conversations SET member_version = member_version + 1 WHERE id = NEW.conversation_id; END`.execute(db);
}
