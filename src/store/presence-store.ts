import type { Db } from './database.js';

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
}
