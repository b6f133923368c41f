import { sql, type Kysely, type Transaction } from 'kysely';
import type { Db } from './database.js';
import type { Database } from './schema.js';
import { readStamps, type ReadExpiry } from './message-reads.js';

export interface Receipts {
  readSeq: number;
  recvSeq: number;
}

export interface Receipt {
  userId: string;
  readSeq: number;
  recvSeq: number;
}

type Q = Kysely<Database> | Transaction<Database>;

/**
 * Read and delivery positions of members, and the message expiry that reads
 * start. Positions only ever rise (a lower seq leaves them as they are); a
 * message's expiry is stamped by its reader's first read and never moved
 * again; each due expiry is handed out by `expireDue` exactly once, even
 * with several nodes sweeping.
 */
export class ReceiptStore {
  constructor(private readonly db: Db) {}

  /**
   * `read` (§3.14): raises read_seq and recv_seq to `seq` (never lowers them)
   * and starts the expiry timer of every message up to `seq` written by
   * others that the reader has not read yet, in one transaction; the first
   * read wins (§5.5, §12 item 8). Messages the reader deleted for themselves
   * are skipped. Returns the stored positions; null when `userId` is not an
   * active member.
   */
  async markRead(conversationId: string, userId: string, seq: number, expiry: ReadExpiry): Promise<Receipts | null> {
    return this.db.kysely.transaction().execute(async (trx) => {
      const pos = await this.#raise(trx, conversationId, userId, { read: seq, recv: seq }, expiry.readAt);
      if (!pos) return null;
      const p = readStamps(this.db.dialect, expiry);
      await sql`INSERT INTO message_reads (message_id, user_id, read_at, expires_at)
        SELECT m.id, ${p.reader(userId)}, ${p.readAt}, ${p.expiresAt}
        FROM messages m
        WHERE m.conversation_id = ${conversationId} AND m.seq <= ${seq} AND m.from_user_id <> ${userId}
          AND NOT EXISTS (SELECT 1 FROM message_deletions d WHERE d.message_id = m.id AND d.user_id = ${userId})
        ON CONFLICT (message_id, user_id) DO NOTHING`.execute(trx);
      return pos;
    });
  }

  /** `recv` (§3.15): raises recv_seq to `seq`; null when `userId` is not an active member. */
  async markReceived(conversationId: string, userId: string, seq: number, at: Date): Promise<Receipts | null> {
    return this.#raise(this.db.kysely, conversationId, userId, { recv: seq }, at);
  }

  /** Read/delivery positions of the active members, in joining order. */
  async ofConversation(convId: string): Promise<Receipt[]> {
    const rows = await this.db.kysely
      .selectFrom('members')
      .select(['user_id', 'read_seq', 'recv_seq'])
      .where('conversation_id', '=', convId)
      .where('deleted_at', 'is', null)
      .orderBy('created_at')
      .orderBy('user_id')
      .execute();
    return rows.map((r) => ({ userId: r.user_id, readSeq: r.read_seq, recvSeq: r.recv_seq }));
  }

  /**
   * Flips `expired` on at most `limit` reads that are due and returns them
   * with their message; each row is returned by exactly one caller, even
   * with several nodes sweeping at once.
   */
  async expireDue(now: Date, limit: number): Promise<{ reader: string; conversationId: string; seq: number; from: string }[]> {
    const lock = this.db.dialect === 'postgres' ? sql`FOR UPDATE SKIP LOCKED` : sql``;
    const due = await sql<{ message_id: string; user_id: string }>`UPDATE message_reads SET expired = ${true}
      WHERE expired = ${false} AND (message_id, user_id) IN (
        SELECT message_id, user_id FROM message_reads
        WHERE expired = ${false} AND expires_at IS NOT NULL AND expires_at <= ${stamp(this.db, now)}
        LIMIT ${limit} ${lock})
      RETURNING message_id, user_id`.execute(this.db.kysely);
    if (due.rows.length === 0) return [];
    const ids = [...new Set(due.rows.map((r) => r.message_id))];
    const msgs = await this.db.kysely.selectFrom('messages').select(['id', 'conversation_id', 'seq', 'from_user_id']).where('id', 'in', ids).execute();
    const byId = new Map(msgs.map((m) => [m.id, m]));
    return due.rows.flatMap((r) => {
      const m = byId.get(r.message_id);
      return m ? [{ reader: r.user_id, conversationId: m.conversation_id, seq: m.seq, from: m.from_user_id }] : [];
    });
  }

  async #raise(q: Q, conversationId: string, userId: string, seqs: { read?: number; recv: number }, at: Date): Promise<Receipts | null> {
    const raise = (col: 'read_seq' | 'recv_seq', to: number) => sql<number>`CASE WHEN ${sql.ref(col)} < ${to} THEN ${to} ELSE ${sql.ref(col)} END`;
    const row = await q
      .updateTable('members')
      .set({ recv_seq: raise('recv_seq', seqs.recv), updated_at: at, ...(seqs.read !== undefined ? { read_seq: raise('read_seq', seqs.read) } : {}) })
      .where('conversation_id', '=', conversationId)
      .where('user_id', '=', userId)
      .where('deleted_at', 'is', null)
      .returning(['read_seq', 'recv_seq'])
      .executeTakeFirst();
    return row ? { readSeq: row.read_seq, recvSeq: row.recv_seq } : null;
  }
}

function stamp(db: Db, d: Date) {
  return db.dialect === 'postgres' ? sql`CAST(${d} AS timestamptz)` : sql`${d}`;
}
