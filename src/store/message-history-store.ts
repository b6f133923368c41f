import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Db } from './database.js';
import type { Database } from './schema.js';
import { messageFromRow, type MessageRecord } from './message-record.js';
import { expiredFor } from './message-reads.js';

export interface HistoryQuery {
  conversationId: string;
  reader: string;
  clearSeq: number;
  /** Only seq < before (when > 0). */
  before: number;
  /** When set: only seq > after, oldest first; otherwise newest first. */
  after: number | null;
  limit: number;
  now: Date;
}

type MessagesEb = ExpressionBuilder<Database, 'messages'>;

/**
 * Reads of stored messages: single lookups, history pages and mentions.
 * Pages are ordered by seq and apply everything that hides a message from
 * its reader (clear, delete-for-me, expiry by flag or by time), so what they
 * return never depends on whether the expiry sweep has run yet.
 */
export class MessageHistoryStore {
  constructor(private readonly db: Db) {}

  /** The message with this seq in the conversation, deleted or not. */
  async find(conversationId: string, seq: number): Promise<MessageRecord | null> {
    const row = await this.db.kysely.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).where('seq', '=', seq).executeTakeFirst();
    return row ? messageFromRow(this.db.codec, row) : null;
  }

  /** The id of the message with this seq in the conversation, deleted or not. */
  async messageIdAt(convId: string, seq: number): Promise<string | null> {
    const row = await this.db.kysely.selectFrom('messages').select('id').where('conversation_id', '=', convId).where('seq', '=', seq).executeTakeFirst();
    return row?.id ?? null;
  }

  /** One page of history as `reader` may see it (§3.8.3): cleared, deleted-for-me and expired messages are hidden. */
  async page(q: HistoryQuery): Promise<MessageRecord[]> {
    let query = this.db.kysely
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', q.conversationId)
      .where('seq', '>', Math.max(q.clearSeq, q.after ?? 0))
      .where((eb) => visibleTo(eb, q.reader, q.now));
    if (q.before > 0) query = query.where('seq', '<', q.before);
    const rows = await query
      .orderBy('seq', q.after === null ? 'desc' : 'asc')
      .limit(q.limit)
      .execute();
    return rows.map((r) => messageFromRow(this.db.codec, r));
  }

  /**
   * The messages at `refs` as `reader` finds them now, keyed `conv:seq`:
   * `hidden` when deleted for her or expired for her (a sync replay skips
   * those). Deleted-for-everyone messages are returned (as tombstones).
   */
  async forReplay(
    reader: string,
    refs: readonly { conv: string; seq: number }[],
    now: Date,
  ): Promise<Map<string, { message: MessageRecord; hidden: boolean }>> {
    const out = new Map<string, { message: MessageRecord; hidden: boolean }>();
    if (refs.length === 0) return out;
    const byConv = new Map<string, Set<number>>();
    for (const r of refs) {
      let seqs = byConv.get(r.conv);
      if (!seqs) byConv.set(r.conv, (seqs = new Set()));
      seqs.add(r.seq);
    }
    const rows = await this.db.kysely
      .selectFrom('messages')
      .selectAll()
      .select((eb) => sql<boolean | number>`${visibleTo(eb, reader, now)}`.as('visible'))
      .where((eb) => eb.or([...byConv].map(([conv, seqs]) => eb.and([eb('conversation_id', '=', conv), eb('seq', 'in', [...seqs])]))))
      .execute();
    for (const r of rows) {
      const message = messageFromRow(this.db.codec, r);
      out.set(`${message.conversationId}:${message.seq}`, { message, hidden: !this.db.codec.bool(r.visible) });
    }
    return out;
  }

  /**
   * Messages mentioning `userId` in conversations where they are an active
   * member, newest first, with clear_seq, delete-for-me, delete-for-everyone
   * and expiry applied (§3.8.8, §12 item 20).
   */
  async mentions(userId: string, limit: number, now: Date): Promise<MessageRecord[]> {
    const rows = await this.db.kysely
      .selectFrom('message_mentions')
      .innerJoin('messages', 'messages.id', 'message_mentions.message_id')
      .innerJoin('members', (j) => j.onRef('members.conversation_id', '=', 'message_mentions.conversation_id').on('members.user_id', '=', userId))
      .selectAll('messages')
      .where('message_mentions.user_id', '=', userId)
      .where('members.deleted_at', 'is', null)
      .where('messages.deleted_at', 'is', null)
      .whereRef('messages.seq', '>', 'members.clear_seq')
      .where((eb) => visibleTo(eb as unknown as MessagesEb, userId, now))
      .orderBy('message_mentions.created_at', 'desc')
      .orderBy('messages.seq', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => messageFromRow(this.db.codec, r));
  }
}

/** Not deleted for `reader` and not expired for them (by flag or by time: correctness never waits for the sweep). */
function visibleTo(eb: MessagesEb, reader: string, now: Date): Expression<SqlBool> {
  return eb.and([
    eb.not(
      eb.exists(
        eb
          .selectFrom('message_deletions')
          .select(sql.lit(1).as('x'))
          .whereRef('message_deletions.message_id', '=', 'messages.id')
          .where('message_deletions.user_id', '=', reader),
      ),
    ),
    eb.not(expiredFor(eb, 'messages.id', reader, now)),
  ]);
}
