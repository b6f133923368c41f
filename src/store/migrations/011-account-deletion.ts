import type { MigrationContext } from './column-types.js';

/**
 * `account_deletions`: one durable job per deleted account. The row is written
 * in the transaction that marks the account deleted; the erase steps then run
 * under a lease (`lease_owner`, `lease_until`) so that of several nodes
 * resuming unfinished jobs at once only one works on each, and `last_step`
 * records the name of the last step done (a restart resumes after it).
 */
export async function up({ db, t }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('account_deletions')
    .addColumn('user_id', t.uuid, (c) => c.primaryKey().references('users.id'))
    .addColumn('requested_at', t.ts, (c) => c.notNull())
    .addColumn('last_step', 'varchar(64)')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('lease_owner', 'varchar(128)')
    .addColumn('lease_until', t.ts)
    .addColumn('done_at', t.ts)
    .execute();
}
