import { sql, type Kysely, type Transaction } from 'kysely';
import type { Db } from './database.js';
import type { Database } from './schema.js';

export type ContactSource = 'invite' | 'manual';

export interface ContactRecord {
  contactId: string;
  source: string;
  nickname: string | null;
  createdAt: Date;
  /** The contact's account; `state` 'deleted' means its details must not be shown. */
  user: { state: string; public: unknown; lastSeen: Date | null };
}

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * Adds both directions of a contact, `adder` (`a` or `b`) being the one who
 * added it: only the adder's own row records that she added the other
 * (`owner_added`), so someone adding her never counts as a contact she
 * chose. Rows that already exist are kept as they are (source and nickname
 * unchanged), except that the adder's row now records her add. Both rows go
 * in one statement in a fixed order, so two transactions adding the same
 * pair cannot deadlock.
 */
export async function insertContactPair(
  exec: Executor,
  a: string,
  b: string,
  adder: string,
  source: ContactSource,
  inviteId: string | null,
  now: Date,
): Promise<void> {
  const [lo, hi] = a < b ? [a, b] : [b, a];
  await exec
    .insertInto('contacts')
    .values([
      { user_id: lo, contact_id: hi, source, invite_id: inviteId, created_at: now, owner_added: lo === adder },
      { user_id: hi, contact_id: lo, source, invite_id: inviteId, created_at: now, owner_added: hi === adder },
    ])
    .onConflict((oc) => oc.columns(['user_id', 'contact_id']).doUpdateSet({ owner_added: sql<boolean>`contacts.owner_added OR excluded.owner_added` }))
    .execute();
}

/**
 * Contact lists (PROTOCOL §5.13). A list holds only whom its owner added
 * herself (and the two sides of a redeemed invite): someone adding her does
 * not put him in her list. Remove is symmetric; nicknames belong to one
 * direction. A list is readable only through its owner's id.
 */
export class ContactStore {
  constructor(private readonly db: Db) {}

  /** `owner`'s own row, source 'manual', recorded as added by her; idempotent (an existing row keeps its source and nickname). */
  async add(owner: string, contact: string, now = new Date()): Promise<void> {
    await this.db.kysely
      .insertInto('contacts')
      .values({ user_id: owner, contact_id: contact, source: 'manual', invite_id: null, created_at: now, owner_added: true })
      .onConflict((oc) => oc.columns(['user_id', 'contact_id']).doUpdateSet({ owner_added: true }))
      .execute();
  }

  /** Deletes both directions; no error when absent. */
  async remove(owner: string, contact: string): Promise<void> {
    await this.db.kysely
      .deleteFrom('contacts')
      .where((eb) =>
        eb.or([eb.and([eb('user_id', '=', owner), eb('contact_id', '=', contact)]), eb.and([eb('user_id', '=', contact), eb('contact_id', '=', owner)])]),
      )
      .execute();
  }

  /** Deletes every contact row in which `userId` appears, both directions (account deletion). */
  async removeAllOf(userId: string): Promise<void> {
    await this.db.kysely
      .deleteFrom('contacts')
      .where((eb) => eb.or([eb('user_id', '=', userId), eb('contact_id', '=', userId)]))
      .execute();
  }

  /** Sets the nickname on the owner's own row only; returns how many rows changed (0 when not a contact). */
  async setNickname(owner: string, contact: string, nickname: string): Promise<number> {
    const r = await this.db.kysely.updateTable('contacts').set({ nickname }).where('user_id', '=', owner).where('contact_id', '=', contact).executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** The owner's contacts, newest first. */
  async list(owner: string): Promise<ContactRecord[]> {
    const c = this.db.codec;
    const rows = await this.db.kysely
      .selectFrom('contacts')
      .innerJoin('users', 'users.id', 'contacts.contact_id')
      .select(['contacts.contact_id', 'contacts.source', 'contacts.nickname', 'contacts.created_at', 'users.state', 'users.public', 'users.last_seen'])
      .where('contacts.user_id', '=', owner)
      .orderBy('contacts.created_at', 'desc')
      .orderBy('contacts.contact_id')
      .execute();
    return rows.map((r) => ({
      contactId: r.contact_id,
      source: r.source,
      nickname: r.nickname,
      createdAt: c.date(r.created_at),
      user: { state: r.state, public: c.json(r.public), lastSeen: c.dateOrNull(r.last_seen) },
    }));
  }
}
