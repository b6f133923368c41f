import type { Db } from './database.js';

/** One subject's stored privacy settings, and whether she added a given viewer herself. */
export interface SubjectPrivacyRecord {
  presence: string;
  readReceipts: boolean;
  addedViewer: boolean;
}

/** One user's stored privacy settings and, when she shows presence to contacts only, the users she added herself. */
export interface UserPrivacyRecord {
  presence: string;
  readReceipts: boolean;
  added: Set<string>;
}

/** Who hears about whose presence (PROTOCOL §4.3). */
export class PresenceStore {
  constructor(private readonly db: Db) {}

  /**
   * Presence subscribers of `userId`: other active members of every conversation
   * the user is an active member of, de-duplicated, minus anyone who blocked the
   * user in a DM (blocking stops presence too, §12 item 18).
   */
  async subscribers(userId: string): Promise<string[]> {
    const k = this.db.kysely;
    const rows = await k
      .selectFrom('members as mine')
      .innerJoin('members as other', 'other.conversation_id', 'mine.conversation_id')
      .select('other.user_id')
      .distinct()
      .where('mine.user_id', '=', userId)
      .where('mine.deleted_at', 'is', null)
      .where('other.deleted_at', 'is', null)
      .where('other.user_id', '!=', userId)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('members as b')
              .innerJoin('dm_participants as d', 'd.conversation_id', 'b.conversation_id')
              .innerJoin('members as me2', 'me2.conversation_id', 'b.conversation_id')
              .select('b.user_id')
              .whereRef('b.user_id', '=', 'other.user_id')
              .where('b.blocked', '=', true)
              .where('me2.user_id', '=', userId),
          ),
        ),
      )
      .execute();
    return rows.map((r) => r.user_id);
  }

  /**
   * Users with a block between them and `userId`, in either direction: the
   * other participant of every DM where either member row has `blocked` set
   * (left or not; a block outlives leaving). Driven by the indexed pair
   * columns of dm_participants, then the members primary key.
   */
  async blockPeers(userId: string): Promise<Set<string>> {
    const rows = await this.db.kysely
      .selectFrom('dm_participants as d')
      .innerJoin('members as m', 'm.conversation_id', 'd.conversation_id')
      .select(['d.user1_id', 'd.user2_id'])
      .where((eb) => eb.or([eb('d.user1_id', '=', userId), eb('d.user2_id', '=', userId)]))
      .where('m.blocked', '=', true)
      .execute();
    return new Set(rows.map((r) => (r.user1_id === userId ? r.user2_id : r.user1_id)));
  }

  /**
   * `userId`'s privacy settings in one query. Her contact set is joined only
   * when her setting is 'contacts', and only the rows she added herself.
   * Null for an unknown user.
   */
  async privacyOf(userId: string): Promise<UserPrivacyRecord | null> {
    const rows = await this.db.kysely
      .selectFrom('users as u')
      .leftJoin('contacts as c', (j) => j.onRef('c.user_id', '=', 'u.id').on('c.owner_added', '=', true).on('u.presence_privacy', '=', 'contacts'))
      .select(['u.presence_privacy', 'u.read_receipts', 'c.contact_id'])
      .where('u.id', '=', userId)
      .execute();
    const first = rows[0];
    if (!first) return null;
    const added = new Set<string>();
    for (const r of rows) if (r.contact_id) added.add(r.contact_id);
    return { presence: first.presence_privacy, readReceipts: this.db.codec.bool(first.read_receipts), added };
  }

  /**
   * The privacy settings of each of `subjects` and whether she added `viewer`
   * herself, in one query (contacts primary key). Unknown users are absent.
   */
  async privacyToward(viewer: string, subjects: readonly string[]): Promise<Map<string, SubjectPrivacyRecord>> {
    const out = new Map<string, SubjectPrivacyRecord>();
    if (subjects.length === 0) return out;
    const rows = await this.db.kysely
      .selectFrom('users as u')
      .leftJoin('contacts as c', (j) => j.onRef('c.user_id', '=', 'u.id').on('c.contact_id', '=', viewer).on('c.owner_added', '=', true))
      .select(['u.id', 'u.presence_privacy', 'u.read_receipts', 'c.contact_id'])
      .where('u.id', 'in', [...new Set(subjects)])
      .execute();
    for (const r of rows) {
      out.set(r.id, { presence: r.presence_privacy, readReceipts: this.db.codec.bool(r.read_receipts), addedViewer: r.contact_id !== null });
    }
    return out;
  }
}
