import type { Db } from './database.js';

export type Role = 'owner' | 'admin' | 'member';

export interface ConversationRecord {
  id: string;
  /** `group` rows from very old databases are treated as rooms. */
  type: 'dm' | 'room';
  ownerId: string | null;
  public: unknown;
  lastSeq: number;
  lastMsgAt: Date | null;
  createdAt: Date;
  disappearingTtl: number | null;
  pinnedMessageId: string | null;
  pinnedAt: Date | null;
  pinnedBy: string | null;
  noScreenshots: boolean;
}

export interface MembershipRecord {
  conversationId: string;
  userId: string;
  role: Role;
  readSeq: number;
  recvSeq: number;
  clearSeq: number;
  favorite: boolean;
  muted: boolean;
  blocked: boolean;
  private: unknown;
  /** null while active; set when the user left or was kicked. */
  deletedAt: Date | null;
}

// SQLite text of the two queries every message runs (same meaning as their Kysely forms below).
const SENDER_VIEW_SQL = `select c.*, m.conversation_id, m.user_id, m.role, m.read_seq, m.recv_seq, m.clear_seq, m.favorite, m.muted, m.blocked, m.private, m.deleted_at,
  exists (select 1 from members b where b.conversation_id = m.conversation_id and b.user_id != ? and b.blocked = 1 and c.type = 'dm') as blocked_by_other
  from members m join conversations c on c.id = m.conversation_id
  where m.conversation_id = ? and m.user_id = ? and m.deleted_at is null`;
const RECIPIENTS_SQL = `select m.user_id from members m join conversations c on c.id = m.conversation_id
  where m.conversation_id = ? and m.deleted_at is null and not (c.type = 'dm' and m.user_id != ? and m.blocked = 1)`;

/**
 * Conversation and membership lookups shared by every conversation op.
 * "Active member" = a members row with deleted_at NULL (PROTOCOL §0).
 */
export class MembershipStore {
  constructor(private readonly db: Db) {}

  conversationFromRow(row: Record<string, any>): ConversationRecord {
    const c = this.db.codec;
    return {
      id: row.id,
      type: row.type === 'dm' ? 'dm' : 'room',
      ownerId: row.owner_id,
      public: c.json(row.public),
      lastSeq: row.last_seq,
      lastMsgAt: c.dateOrNull(row.last_msg_at),
      createdAt: c.date(row.created_at),
      disappearingTtl: row.disappearing_ttl,
      pinnedMessageId: row.pinned_message_id,
      pinnedAt: c.dateOrNull(row.pinned_at),
      pinnedBy: row.pinned_by,
      noScreenshots: c.bool(row.no_screenshots),
    };
  }

  membershipFromRow(row: Record<string, any>): MembershipRecord {
    const c = this.db.codec;
    return {
      conversationId: row.conversation_id,
      userId: row.user_id,
      role: row.role,
      readSeq: row.read_seq,
      recvSeq: row.recv_seq,
      clearSeq: row.clear_seq,
      favorite: c.bool(row.favorite),
      muted: c.bool(row.muted),
      blocked: c.bool(row.blocked),
      private: c.json(row.private),
      deletedAt: c.dateOrNull(row.deleted_at),
    };
  }

  async getConversation(id: string): Promise<ConversationRecord | null> {
    const row = await this.db.kysely.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? this.conversationFromRow(row) : null;
  }

  /** The user's membership row, active or removed; null when there never was one. */
  async getMembership(conversationId: string, userId: string): Promise<MembershipRecord | null> {
    const row = await this.db.kysely.selectFrom('members').selectAll()
      .where('conversation_id', '=', conversationId).where('user_id', '=', userId).executeTakeFirst();
    return row ? this.membershipFromRow(row) : null;
  }

  /** Only an active membership; null for removed members and strangers. */
  async getActiveMembership(conversationId: string, userId: string): Promise<MembershipRecord | null> {
    const m = await this.getMembership(conversationId, userId);
    return m && m.deletedAt === null ? m : null;
  }

  /**
   * Everything `send` checks, in one query: the conversation, the sender's
   * active membership, and whether the other DM participant blocked them.
   */
  async senderView(conversationId: string, userId: string): Promise<{ conversation: ConversationRecord; member: MembershipRecord; blocked: boolean } | null> {
    const fast = this.db.sqlite;
    if (fast) {
      // Hot path of every send on the embedded default: one prepared statement, no query building.
      const row = await this.db.kysely.connection().execute(async () =>
        fast.prepare(SENDER_VIEW_SQL).get(userId, conversationId, userId) as Record<string, unknown> | undefined);
      return row ? this.#senderViewFromRow(row) : null;
    }
    const row = await this.db.kysely.selectFrom('members as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
      .selectAll('c')
      .select(['m.conversation_id', 'm.user_id', 'm.role', 'm.read_seq', 'm.recv_seq', 'm.clear_seq', 'm.favorite', 'm.muted', 'm.blocked', 'm.private', 'm.deleted_at'])
      .select((eb) =>
        eb.exists(
          eb.selectFrom('members as b').select('b.user_id')
            .whereRef('b.conversation_id', '=', 'm.conversation_id')
            .where('b.user_id', '!=', userId)
            .where('b.blocked', '=', true)
            .where('c.type', '=', 'dm'),
        ).as('blocked_by_other'),
      )
      .where('m.conversation_id', '=', conversationId)
      .where('m.user_id', '=', userId)
      .where('m.deleted_at', 'is', null)
      .executeTakeFirst();
    return row ? this.#senderViewFromRow(row) : null;
  }

  #senderViewFromRow(row: Record<string, any>): { conversation: ConversationRecord; member: MembershipRecord; blocked: boolean } {
    return {
      conversation: this.conversationFromRow(row),
      member: this.membershipFromRow(row),
      blocked: this.db.codec.bool(row.blocked_by_other as boolean | number),
    };
  }

  /**
   * Who receives what `sender` pushes into a conversation, in one query: the
   * active members now, minus DM participants who blocked the sender
   * (§12 item 18). Room rows never block.
   */
  async recipients(conversationId: string, sender: string): Promise<string[]> {
    const fast = this.db.sqlite;
    if (fast) {
      const rows = await this.db.kysely.connection().execute(async () =>
        fast.prepare(RECIPIENTS_SQL).all(conversationId, sender) as { user_id: string }[]);
      return rows.map((r) => r.user_id);
    }
    const rows = await this.db.kysely.selectFrom('members')
      .innerJoin('conversations', 'conversations.id', 'members.conversation_id')
      .select(['members.user_id', 'members.blocked', 'conversations.type'])
      .where('members.conversation_id', '=', conversationId)
      .where('members.deleted_at', 'is', null)
      .execute();
    const c = this.db.codec;
    return rows.filter((r) => !(r.type === 'dm' && r.user_id !== sender && c.bool(r.blocked))).map((r) => r.user_id);
  }
}
