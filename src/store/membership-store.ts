import { CompiledQuery, sql, type Kysely, type Transaction } from 'kysely';
import type { Db, SqliteHandle } from './database.js';
import type { Database } from './schema.js';
import { sendRefusal, snapshotFromRows, SnapshotCache, type MemberSnapshot, type SnapshotRow } from './member-snapshot.js';

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

// One consistent read of a conversation and all its member rows (a snapshot at one member_version).
// A deleted account's DM rows are made inactive in the transaction that marks it deleted, which raises the version.
const SNAPSHOT_SQL = `select c.type, c.member_version, m.user_id, m.blocked, m.deleted_at is null as active, u.state = 'deleted' as gone
  from conversations c left join members m on m.conversation_id = c.id left join users u on u.id = m.user_id where c.id = ?`;
const VERSION_SQL = 'select member_version from conversations where id = ?';

/**
 * Conversation and membership lookups shared by every conversation op, the
 * member snapshots the send path checks, and the membership writes.
 * "Active member" = a members row with deleted_at NULL (PROTOCOL §0).
 * Writes are single conditional statements (or one transaction), so a role
 * or activity check cannot be outrun by a concurrent change; a removal takes
 * the conversation row first, so it orders against sends allocating seqs.
 * Joining, leaving and blocking raise member_version (by trigger), which
 * invalidates the cached snapshots here and on other nodes.
 */
export class MembershipStore {
  readonly #snapshots = new SnapshotCache();

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
    const row = await this.db.kysely
      .selectFrom('members')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row ? this.membershipFromRow(row) : null;
  }

  /** Whether `blocker` blocked `blocked` in their DM (the `blocked` flag of the blocker's row, left or not). */
  async hasBlocked(blocker: string, blocked: string): Promise<boolean> {
    const [user1, user2] = blocker < blocked ? [blocker, blocked] : [blocked, blocker];
    const row = await this.db.kysely
      .selectFrom('dm_participants as d')
      .innerJoin('members as m', 'm.conversation_id', 'd.conversation_id')
      .select('m.conversation_id')
      .where('d.user1_id', '=', user1)
      .where('d.user2_id', '=', user2)
      .where('m.user_id', '=', blocker)
      .where('m.blocked', '=', true)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** The active members of a conversation with their roles, by joining time (ties by user id). */
  async activeMembers(conversationId: string): Promise<{ userId: string; role: Role; since: Date }[]> {
    const rows = await this.db.kysely
      .selectFrom('members')
      .select(['user_id', 'role', 'created_at'])
      .where('conversation_id', '=', conversationId)
      .where('deleted_at', 'is', null)
      .orderBy('created_at')
      .orderBy('user_id')
      .execute();
    return rows.map((r) => ({ userId: r.user_id, role: r.role as Role, since: this.db.codec.date(r.created_at) }));
  }

  /** Only an active membership; null for removed members and strangers. */
  async getActiveMembership(conversationId: string, userId: string): Promise<MembershipRecord | null> {
    const m = await this.getMembership(conversationId, userId);
    return m && m.deletedAt === null ? m : null;
  }

  /**
   * Members as of at least `atLeast` (the version a send committed at), or as
   * of now when not given. Served from this node's cache when it is recent
   * enough; null when the conversation does not exist.
   */
  async snapshot(conversationId: string, atLeast?: number): Promise<MemberSnapshot | null> {
    const need = atLeast ?? (await this.#currentVersion(conversationId));
    if (need === null) return null;
    const held = this.#snapshots.get(conversationId);
    if (held && held.version >= need) return held;
    return this.loadSnapshot(conversationId);
  }

  /**
   * What `send` checks first: the cached snapshot, reloaded when it refuses
   * (a member added elsewhere). A stale "yes" is caught when the send
   * commits: the store compares member versions in the same statement.
   */
  async senderSnapshot(conversationId: string, userId: string): Promise<MemberSnapshot | null> {
    const held = this.#snapshots.get(conversationId);
    if (held && sendRefusal(held, userId) === null) return held;
    return this.loadSnapshot(conversationId);
  }

  async loadSnapshot(conversationId: string, q: Kysely<Database> | Transaction<Database> = this.db.kysely): Promise<MemberSnapshot | null> {
    const fast = this.db.sqlite;
    if (fast && q === this.db.kysely) return fast.exclusive(() => this.loadSnapshotSqlite(fast, conversationId));
    const { rows } = await q.executeQuery<SnapshotRow>(CompiledQuery.raw(SNAPSHOT_SQL.replace('?', '$1'), [conversationId]));
    return this.#remember(snapshotFromRows(conversationId, rows));
  }

  /** The same read, synchronously, for code already running on the SQLite connection. */
  loadSnapshotSqlite(fast: SqliteHandle, conversationId: string): MemberSnapshot | null {
    return this.#remember(snapshotFromRows(conversationId, fast.prepare(SNAPSHOT_SQL).all(conversationId) as SnapshotRow[]));
  }

  /**
   * Makes `userId` an active member. An active member keeps their role; a
   * removed one comes back as `member` (§12 item 4).
   */
  async addMember(convId: string, userId: string): Promise<void> {
    const now = new Date();
    await this.db.kysely
      .insertInto('members')
      .values({ conversation_id: convId, user_id: userId, role: 'member', created_at: now, updated_at: now })
      .onConflict((oc) =>
        oc.columns(['conversation_id', 'user_id']).doUpdateSet({
          role: sql<string>`case when members.deleted_at is null then members.role else 'member' end`,
          deleted_at: null,
          updated_at: now,
        }),
      )
      .execute();
  }

  /**
   * Marks an active membership removed, only when its role is one of
   * `removableRoles` at that instant. Returns false when nothing matched.
   */
  async removeMember(convId: string, userId: string, removableRoles: readonly Role[]): Promise<boolean> {
    return this.db.kysely.transaction().execute(async (trx) => {
      // The removal time is taken once the conversation row is ours (sends hold it while they allocate seqs):
      // every message committed before the removal carries an earlier time, every later one skips the removed member.
      if (this.db.dialect === 'postgres') await trx.selectFrom('conversations').select('id').where('id', '=', convId).forUpdate().execute();
      const now = new Date();
      const r = await trx
        .updateTable('members')
        .set({ deleted_at: now, updated_at: now })
        .where('conversation_id', '=', convId)
        .where('user_id', '=', userId)
        .where('deleted_at', 'is', null)
        .where('role', 'in', [...removableRoles])
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    });
  }

  /** Rooms `userId` is an active member of. */
  async activeRoomsOf(userId: string): Promise<string[]> {
    const rows = await this.db.kysely
      .selectFrom('members as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
      .select('m.conversation_id')
      .where('m.user_id', '=', userId)
      .where('m.deleted_at', 'is', null)
      .where('c.type', '!=', 'dm')
      .orderBy('m.conversation_id')
      .execute();
    return rows.map((r) => r.conversation_id);
  }

  /**
   * `userId` leaves the room for good (account deletion), in one transaction
   * holding the conversation row: when she owns it, ownership passes to the
   * longest-standing active admin, else the longest-standing active member;
   * when nobody else is left the room is closed (deleted with its history,
   * which nobody else can read). Nothing happens when she is not an active
   * member any more (a step run twice).
   */
  async leaveForGood(convId: string, userId: string): Promise<{ outcome: 'left' | 'closed' | 'not-member'; newOwner: string | null }> {
    return this.db.kysely.transaction().execute(async (trx) => {
      if (this.db.dialect === 'postgres') await trx.selectFrom('conversations').select('id').where('id', '=', convId).forUpdate().execute();
      const mine = await trx
        .selectFrom('members')
        .select('role')
        .where('conversation_id', '=', convId)
        .where('user_id', '=', userId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (!mine) return { outcome: 'not-member' as const, newOwner: null };
      const others = await trx
        .selectFrom('members')
        .select(['user_id', 'role'])
        .where('conversation_id', '=', convId)
        .where('user_id', '!=', userId)
        .where('deleted_at', 'is', null)
        .orderBy(sql`case when role = 'admin' then 0 else 1 end`)
        .orderBy('created_at')
        .orderBy('user_id')
        .execute();
      const now = new Date();
      if (others.length === 0) {
        await trx.deleteFrom('conversations').where('id', '=', convId).execute();
        return { outcome: 'closed' as const, newOwner: null };
      }
      let newOwner: string | null = null;
      if (mine.role === 'owner') {
        newOwner = others[0]!.user_id;
        await trx
          .updateTable('members')
          .set({ role: 'owner', updated_at: now })
          .where('conversation_id', '=', convId)
          .where('user_id', '=', newOwner)
          .execute();
        await trx.updateTable('conversations').set({ owner_id: newOwner, updated_at: now }).where('id', '=', convId).execute();
      }
      await trx
        .updateTable('members')
        .set({ deleted_at: now, updated_at: now, role: 'member', private: null })
        .where('conversation_id', '=', convId)
        .where('user_id', '=', userId)
        .execute();
      return { outcome: 'left' as const, newOwner };
    });
  }

  /** Sets an active non-owner member's role; false when no such member. */
  async setRole(convId: string, userId: string, role: Exclude<Role, 'owner'>): Promise<boolean> {
    const r = await this.db.kysely
      .updateTable('members')
      .set({ role, updated_at: new Date() })
      .where('conversation_id', '=', convId)
      .where('user_id', '=', userId)
      .where('deleted_at', 'is', null)
      .where('role', '!=', 'owner')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Sets the user's clear position; later history reads start after it. */
  async setClearSeq(convId: string, userId: string, seq: number): Promise<void> {
    await this.db.kysely
      .updateTable('members')
      .set({ clear_seq: seq, updated_at: new Date() })
      .where('conversation_id', '=', convId)
      .where('user_id', '=', userId)
      .execute();
  }

  #remember(s: MemberSnapshot | null): MemberSnapshot | null {
    if (s) this.#snapshots.put(s);
    return s;
  }

  async #currentVersion(conversationId: string): Promise<number | null> {
    const fast = this.db.sqlite;
    if (fast) {
      const row = await fast.exclusive(() => fast.prepare(VERSION_SQL).get(conversationId) as { member_version: number } | undefined);
      return row?.member_version ?? null;
    }
    const row = await this.db.kysely.selectFrom('conversations').select('member_version').where('id', '=', conversationId).executeTakeFirst();
    return row?.member_version ?? null;
  }
}
