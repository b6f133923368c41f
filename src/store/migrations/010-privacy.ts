import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './column-types.js';

/**
 * Presence privacy (`acc me {privacy}`): `users.presence_privacy` is who may
 * see her presence ('everyone', 'contacts' or 'nobody'), `users.read_receipts`
 * whether anyone is told what she read. `contacts.owner_added`: the row's
 * owner added the contact herself (`contact add`, or the invite she sent);
 * only such rows count for 'contacts'. Existing rows: an invite's row on the
 * inviter's side counts (she sent it), every other row does not, since who
 * added whom was not recorded; she counts him again by adding him.
 */
export async function up({ db }: MigrationContext): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('presence_privacy', 'text', (c) => c.notNull().defaultTo('everyone'))
    .execute();
  await db.schema
    .alterTable('users')
    .addColumn('read_receipts', 'boolean', (c) => c.notNull().defaultTo(true))
    .execute();
  await db.schema
    .alterTable('contacts')
    .addColumn('owner_added', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await markInviterRows(db);
}

/** Existing rows: the inviter's side of an invite contact is hers; nothing else is known. */
export async function markInviterRows(db: Kysely<any>): Promise<void> {
  await sql`UPDATE contacts SET owner_added = ${sql.lit(true)} WHERE source = 'invite' AND invite_id IS NOT NULL
    AND user_id = (SELECT inviter_id FROM invite_codes WHERE invite_codes.id = contacts.invite_id)`.execute(db);
}
