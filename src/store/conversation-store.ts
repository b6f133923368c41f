import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { Db } from './database.js';
import { findOrCreateDm } from './dm-pairs.js';
import type { ConversationRecord, MembershipRecord, MembershipStore } from './membership-store.js';

/** Per-user flags of `dm {conv}`; absent keys are kept. */
export interface MemberSettings {
  favorite?: boolean;
  muted?: boolean;
  blocked?: boolean;
  private?: unknown;
}

/** Room-wide changes of `room update`; absent keys are kept. `ttl` null turns disappearing messages off. */
export interface RoomChanges {
  ttl?: number | null;
  noScreenshots?: boolean;
  public?: unknown;
}

/** One row of the requester's conversation list, with everything needed to render it. */
export interface ConversationListing {
  conversation: ConversationRecord;
  membership: MembershipRecord;
  /** DMs: the other participant's id. */
  peerId: string | null;
  /** The pinned message's seq, when a pin exists and the message is still there. */
  pinnedSeq: number | null;
}

/**
 * Conversations: creation, settings, the pin and the requester's listings.
 * Every change is atomic: DM creation for one unordered pair yields exactly
 * one conversation whatever the concurrency; per-user settings and
 * room-wide changes apply together or not at all. Membership changes are in
 * MembershipStore.
 */
export class ConversationStore {
  constructor(
    private readonly db: Db,
    private readonly membership: MembershipStore,
  ) {}

  /**
   * The DM between two users (ids canonical lowercase), creating it when
   * missing; `created` tells which. Both participants are active members
   * afterwards: a participant who "left" through the reference server's
   * DM leave is restored.
   */
  async findOrCreateDm(a: string, b: string): Promise<{ convId: string; created: boolean }> {
    return this.db.kysely.transaction().execute((trx) => findOrCreateDm(trx, a, b, new Date()));
  }

  /** Creates a room owned by `ownerId`, who becomes its only member. */
  async createRoom(ownerId: string, pub: unknown): Promise<string> {
    const convId = crypto.randomUUID();
    await this.db.kysely.transaction().execute(async (trx) => {
      const now = new Date();
      await trx
        .insertInto('conversations')
        .values({
          id: convId,
          type: 'room',
          owner_id: ownerId,
          public: this.db.codec.toJson(pub),
          created_at: now,
          updated_at: now,
        })
        .execute();
      await trx.insertInto('members').values({ conversation_id: convId, user_id: ownerId, role: 'owner', created_at: now, updated_at: now }).execute();
    });
    return convId;
  }

  /** Applies the per-user settings and the conversation-wide changes together, or neither. */
  async updateSettings(convId: string, userId: string, member: MemberSettings, conv: RoomChanges = {}): Promise<void> {
    await this.db.kysely.transaction().execute(async (trx) => {
      await this.#updateConversation(trx, convId, conv);
      const set: Record<string, unknown> = {};
      if (member.favorite !== undefined) set.favorite = member.favorite;
      if (member.muted !== undefined) set.muted = member.muted;
      if (member.blocked !== undefined) set.blocked = member.blocked;
      if ('private' in member) set.private = this.db.codec.toJson(member.private);
      if (Object.keys(set).length === 0) return;
      await trx
        .updateTable('members')
        .set({ ...set, updated_at: new Date() })
        .where('conversation_id', '=', convId)
        .where('user_id', '=', userId)
        .execute();
    });
  }

  /** Applies every given room-wide change in one statement. */
  async updateConversation(convId: string, ch: RoomChanges): Promise<void> {
    await this.#updateConversation(this.db.kysely, convId, ch);
  }

  async #updateConversation(k: Kysely<Database>, convId: string, ch: RoomChanges): Promise<void> {
    const set: Record<string, unknown> = {};
    if ('ttl' in ch) set.disappearing_ttl = ch.ttl ?? null;
    if (ch.noScreenshots !== undefined) set.no_screenshots = ch.noScreenshots;
    if ('public' in ch) set.public = this.db.codec.toJson(ch.public);
    if (Object.keys(set).length === 0) return;
    await k
      .updateTable('conversations')
      .set({ ...set, updated_at: new Date() })
      .where('id', '=', convId)
      .execute();
  }

  /** Replaces the pin (or clears it with `pin` null). */
  async setPin(convId: string, pin: { messageId: string; at: Date; by: string } | null): Promise<void> {
    await this.db.kysely
      .updateTable('conversations')
      .set({
        pinned_message_id: pin?.messageId ?? null,
        pinned_at: pin?.at ?? null,
        pinned_by: pin?.by ?? null,
        updated_at: new Date(),
      })
      .where('id', '=', convId)
      .execute();
  }

  /**
   * Every conversation where `userId` is an active member, newest activity
   * first (last message, else creation), in one query.
   */
  async listForUser(userId: string): Promise<ConversationListing[]> {
    return this.#listings(userId, null);
  }

  /** One conversation as seen by `userId`; null unless they are an active member. */
  async listing(convId: string, userId: string): Promise<ConversationListing | null> {
    const [one] = await this.#listings(userId, convId);
    return one ?? null;
  }

  async #listings(userId: string, convId: string | null): Promise<ConversationListing[]> {
    let q = this.db.kysely
      .selectFrom('members as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
      .leftJoin('dm_participants as dp', 'dp.conversation_id', 'c.id')
      .leftJoin('messages as pm', (j) => j.onRef('pm.id', '=', 'c.pinned_message_id').onRef('pm.conversation_id', '=', 'c.id'))
      .selectAll('c')
      .select([
        'm.conversation_id',
        'm.user_id',
        'm.role',
        'm.read_seq',
        'm.recv_seq',
        'm.clear_seq',
        'm.favorite',
        'm.muted',
        'm.blocked',
        'm.private',
        'm.deleted_at',
        'dp.user1_id',
        'dp.user2_id',
        'pm.seq as pinned_seq',
      ])
      .where('m.user_id', '=', userId)
      .where('m.deleted_at', 'is', null);
    if (convId !== null) q = q.where('m.conversation_id', '=', convId);
    const rows = await q.orderBy(sql`coalesce(c.last_msg_at, c.created_at)`, 'desc').orderBy('c.id').execute();
    return rows.map((row) => ({
      conversation: this.membership.conversationFromRow(row),
      membership: this.membership.membershipFromRow(row),
      peerId: row.user1_id ? (row.user1_id === userId ? row.user2_id : row.user1_id) : null,
      pinnedSeq: row.pinned_seq ?? null,
    }));
  }
}
