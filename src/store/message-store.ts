import { randomUUID } from 'node:crypto';
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool, type Transaction } from 'kysely';
import type { Db, SqliteHandle } from './database.js';
import type { Database } from './schema.js';
import { asHead, type MessageHead } from '../protocol/message-head.js';
import { readStamps, type ReadExpiry } from './message-reads.js';
import { sendRefusal, type MemberSnapshot } from './member-snapshot.js';
import type { MembershipStore } from './membership-store.js';
import { insertSendBatch } from './pg-send-batch.js';

export interface MessageRecord {
  id: string;
  conversationId: string;
  seq: number;
  from: string;
  createdAt: Date;
  /** Encrypted content (§8.2); NULL only in odd legacy rows. */
  content: Buffer | null;
  keyId: number | null;
  head: MessageHead;
  deletedAt: Date | null;
  viewOnce: boolean;
}

export interface NewMessage {
  conversationId: string;
  from: string;
  content: Buffer;
  keyId: number;
  head: MessageHead;
  viewOnce: boolean;
  viewOnceTtl: number | null;
  nonce: string | null;
  /** Distinct mentioned user ids, canonical form. */
  mentions: readonly string[];
  /** Distinct referenced file ids, canonical form. */
  fileRefs: readonly string[];
  at: Date;
  /** The member version the sender was checked against; a different one at commit means checking again. */
  memberVersion: number;
}

export interface Stored {
  seq: number;
  createdAt: Date;
  /** A retry with a nonce already used: nothing was written, seq/createdAt are the original's. */
  duplicate: boolean;
  /** Member version at commit: the recipients are the members of this version. */
  memberVersion: number;
}

/** The sender stopped being allowed to post between the check and the commit; nothing was stored. */
export class SendRefused extends Error {
  constructor(readonly reason: 'notMember' | 'blocked') {
    super(`send refused: ${reason}`);
    this.name = 'SendRefused';
  }
}

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

export interface Receipts {
  readSeq: number;
  recvSeq: number;
}

export type EditOutcome = 'ok' | 'not-found' | 'deleted' | 'max-edits';

type Q = Kysely<Database> | Transaction<Database>;

interface PendingInsert {
  m: NewMessage;
  onSeq: (seq: number) => void;
  resolve: (s: Stored) => void;
  reject: (err: unknown) => void;
}

// Bounds one PostgreSQL group commit, and how many run at once per node.
const PG_BATCH_MAX = 512;
const PG_BATCHES_IN_FLIGHT = 2;

function refuseIfNotAllowed(members: MemberSnapshot | null, sender: string): void {
  const refusal = members ? sendRefusal(members, sender) : 'notMember';
  if (refusal) throw new SendRefused(refusal);
}
type MessagesEb = ExpressionBuilder<Database, 'messages'>;

/**
 * Messages of conversations. Guarantees: seq allocation and the insert (with
 * its mention and file-reference rows) happen in one transaction, so seqs are
 * gap-free and an acknowledged message is stored; a nonce is used at most once
 * per sender and conversation (kept forever); every read-modify-write of a
 * head (edit count, reactions, unsend) runs under a row lock (PostgreSQL) or
 * the single SQLite writer, so concurrent changes never overwrite each other.
 */
export class MessageStore {
  readonly #pgQueue: PendingInsert[] = [];
  #pgInFlight = 0;

  constructor(
    private readonly db: Db,
    private readonly members: MembershipStore,
  ) {}

  #record(row: Record<string, any>): MessageRecord {
    const c = this.db.codec;
    return {
      id: row.id,
      conversationId: row.conversation_id,
      seq: row.seq,
      from: row.from_user_id,
      createdAt: c.date(row.created_at),
      content: row.content === null || row.content === undefined ? null : Buffer.from(row.content),
      keyId: row.content_key_id ?? null,
      head: asHead(c.json(row.head)),
      deletedAt: c.dateOrNull(row.deleted_at),
      viewOnce: c.bool(row.view_once),
    };
  }

  #headJson(head: MessageHead): string | null {
    return Object.keys(head).length > 0 ? this.db.codec.toJson(head) : null;
  }

  /**
   * Allocates the next seq and stores the message. `onSeq` runs inside the
   * transaction as soon as the seq is known (before commit); seqs of one
   * conversation reach it in allocation order on this node.
   */
  async insert(m: NewMessage, onSeq: (seq: number) => void): Promise<Stored> {
    const fast = this.db.sqlite;
    // Sends arriving together share one commit; each is answered only once it is stored.
    if (fast) return fast.grouped(() => this.#insertSqlite(fast, m, onSeq));
    return new Promise<Stored>((resolve, reject) => {
      this.#pgQueue.push({ m, onSeq, resolve, reject });
      if (this.#pgQueue.length === 1) setImmediate(() => void this.#flushPg());
    });
  }

  /**
   * Group commit for PostgreSQL: the sends of one turn go into one
   * transaction (one commit, one WAL flush) of two statements (see
   * pg-send-batch.ts), taking conversation row locks in id order so that
   * concurrent batches, here or on other nodes, never deadlock. Seqs are
   * reported after both statements succeeded and before the commit. If
   * anything in the batch fails (a nonce used before, a sender removed
   * meanwhile), the whole transaction rolls back and each send is stored
   * again on its own, so one bad send cannot fail the others.
   */
  async #flushPg(): Promise<void> {
    // At most PG_BATCHES_IN_FLIGHT batches at once: sends arriving meanwhile wait and form the next, larger batch.
    if (this.#pgInFlight >= PG_BATCHES_IN_FLIGHT || this.#pgQueue.length === 0) return;
    const batch = this.#pgQueue.splice(0, PG_BATCH_MAX);
    this.#pgInFlight++;
    try {
      await this.#storePgBatch(batch);
    } finally {
      this.#pgInFlight--;
      if (this.#pgQueue.length > 0) setImmediate(() => void this.#flushPg());
    }
  }

  async #storePgBatch(batch: PendingInsert[]): Promise<void> {
    if (batch.length === 1) {
      const [p] = batch as [PendingInsert];
      return this.#insertPgAlone(p.m, p.onSeq).then(p.resolve, p.reject);
    }
    let results: Stored[];
    try {
      results = await this.db.kysely.transaction().execute(async (trx) => {
        const rows = await insertSendBatch(trx, batch.map((p) => p.m), (h) => this.#headJson(h));
        // Senders checked against an older member list are checked again, one read per conversation.
        const fresh = new Map<string, Promise<MemberSnapshot | null>>();
        const out = await Promise.all(rows.map(async (r, i): Promise<Stored> => {
          const m = batch[i]!.m;
          if (r.memberVersion !== m.memberVersion) {
            let members = fresh.get(m.conversationId);
            if (!members) fresh.set(m.conversationId, (members = this.members.loadSnapshot(m.conversationId, trx)));
            refuseIfNotAllowed(await members, m.from);
          }
          return { seq: r.seq, createdAt: m.at, duplicate: false, memberVersion: r.memberVersion };
        }));
        // Before the commit, in allocation order per conversation.
        const bySeq = out.map((_, i) => i).sort((x, y) => out[x]!.seq - out[y]!.seq);
        for (const i of bySeq) batch[i]!.onSeq(out[i]!.seq);
        return out;
      });
    } catch {
      for (const p of batch) this.#insertPgAlone(p.m, p.onSeq).then(p.resolve, p.reject);
      return;
    }
    batch.forEach((p, i) => p.resolve(results[i]!));
  }

  /** One send in its own transaction; a nonce race answers with the winner's seq. */
  async #insertPgAlone(m: NewMessage, onSeq: (seq: number) => void): Promise<Stored> {
    try {
      return await this.db.kysely.transaction().execute(async (trx) => {
        const stored = await this.#insertPg(trx, m);
        // Before the commit: the row lock keeps the next seq of this conversation waiting until then.
        if (!stored.duplicate) onSeq(stored.seq);
        return stored;
      });
    } catch (err) {
      // Two retries with one nonce raced: the loser's transaction rolled back; answer with the winner.
      if (m.nonce !== null && isUniqueViolation(err)) {
        const original = await this.#byNonce(this.db.kysely, m.conversationId, m.from, m.nonce);
        if (original) return { ...original, duplicate: true, memberVersion: m.memberVersion };
      }
      throw err;
    }
  }

  async #insertPg(trx: Transaction<Database>, m: NewMessage): Promise<Stored> {
    const original = m.nonce === null ? undefined : await this.#byNonce(trx, m.conversationId, m.from, m.nonce);
    if (original) return { ...original, duplicate: true, memberVersion: m.memberVersion };
    // The batch statement for one send: seq allocation takes the conversation row lock, so membership changes
    // (which raise member_version by trigger) commit before or after it, never between.
    const [row] = await insertSendBatch(trx, [m], (h) => this.#headJson(h));
    if (row!.memberVersion !== m.memberVersion) refuseIfNotAllowed(await this.members.loadSnapshot(m.conversationId, trx), m.from);
    return { seq: row!.seq, createdAt: m.at, duplicate: false, memberVersion: row!.memberVersion };
  }

  /**
   * The same insert as one synchronous SQLite transaction (the hot path of
   * the embedded default): no await between statements, so nothing else runs
   * in between and no other send queues behind it.
   */
  #insertSqlite(db: SqliteHandle, m: NewMessage, onSeq: (seq: number) => void): Stored {
    const at = m.at.toISOString();
    if (m.nonce !== null) {
      const orig = db.prepare('select seq, created_at from messages where conversation_id = ? and from_user_id = ? and nonce = ?')
        .get(m.conversationId, m.from, m.nonce) as { seq: number; created_at: string } | undefined;
      if (orig) return { seq: orig.seq, createdAt: new Date(orig.created_at), duplicate: true, memberVersion: m.memberVersion };
    }
    const row = db.prepare('update conversations set last_seq = last_seq + 1, last_msg_at = ? where id = ? returning last_seq, member_version')
      .get(at, m.conversationId) as { last_seq: number; member_version: number } | undefined;
    if (!row) throw new Error(`conversation ${m.conversationId} not found`);
    if (row.member_version !== m.memberVersion) refuseIfNotAllowed(this.members.loadSnapshotSqlite(db, m.conversationId), m.from);
    const seq = row.last_seq;
    onSeq(seq);
    const id = randomUUID();
    db.prepare(
      'insert into messages (id, conversation_id, seq, from_user_id, created_at, updated_at, content, content_key_id, head, view_once, view_once_ttl, nonce) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(id, m.conversationId, seq, m.from, at, at, m.content, m.keyId, this.#headJson(m.head), m.viewOnce ? 1 : 0, m.viewOnceTtl, m.nonce);
    const mention = m.mentions.length > 0 ? db.prepare('insert into message_mentions (message_id, user_id, conversation_id, created_at) values (?, ?, ?, ?)') : null;
    for (const user of m.mentions) mention?.run(id, user, m.conversationId, at);
    const file = m.fileRefs.length > 0 ? db.prepare('insert into message_files (message_id, file_id, conversation_id) values (?, ?, ?)') : null;
    for (const f of m.fileRefs) file?.run(id, f, m.conversationId);
    return { seq, createdAt: m.at, duplicate: false, memberVersion: row.member_version };
  }

  async #byNonce(q: Q, conversationId: string, from: string, nonce: string): Promise<{ seq: number; createdAt: Date } | undefined> {
    const row = await q.selectFrom('messages').select(['seq', 'created_at'])
      .where('conversation_id', '=', conversationId).where('from_user_id', '=', from).where('nonce', '=', nonce)
      .executeTakeFirst();
    return row ? { seq: row.seq, createdAt: this.db.codec.date(row.created_at) } : undefined;
  }

  async #writeRefs(trx: Q, messageId: string, conversationId: string, mentions: readonly string[], files: readonly string[], at: Date): Promise<void> {
    if (mentions.length > 0) {
      await trx.insertInto('message_mentions')
        .values(mentions.map((user_id) => ({ message_id: messageId, user_id, conversation_id: conversationId, created_at: at })))
        .execute();
    }
    if (files.length > 0) {
      await trx.insertInto('message_files')
        .values(files.map((file_id) => ({ message_id: messageId, file_id, conversation_id: conversationId })))
        .execute();
    }
  }

  async find(conversationId: string, seq: number): Promise<MessageRecord | null> {
    const row = await this.db.kysely.selectFrom('messages').selectAll()
      .where('conversation_id', '=', conversationId).where('seq', '=', seq).executeTakeFirst();
    return row ? this.#record(row) : null;
  }

  /** One page of history as `reader` may see it (§3.8.3): cleared, deleted-for-me and expired messages are hidden. */
  async history(q: HistoryQuery): Promise<MessageRecord[]> {
    let query = this.db.kysely.selectFrom('messages').selectAll()
      .where('conversation_id', '=', q.conversationId)
      .where('seq', '>', Math.max(q.clearSeq, q.after ?? 0))
      .where((eb) => visibleTo(eb, q.reader, q.now));
    if (q.before > 0) query = query.where('seq', '<', q.before);
    const rows = await query.orderBy('seq', q.after === null ? 'desc' : 'asc').limit(q.limit).execute();
    return rows.map((r) => this.#record(r));
  }

  /**
   * Messages mentioning `userId` in conversations where they are an active
   * member, newest first, with clear_seq, delete-for-me, delete-for-everyone
   * and expiry applied (§3.8.8, §12 item 20).
   */
  async mentions(userId: string, limit: number, now: Date): Promise<MessageRecord[]> {
    const rows = await this.db.kysely.selectFrom('message_mentions')
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
    return rows.map((r) => this.#record(r));
  }

  /**
   * Replaces content, bumps `edit_count` and refreshes mentions and file
   * references, all-or-nothing; the count is re-checked under the row lock.
   */
  async edit(conversationId: string, seq: number, change: {
    content: Buffer; keyId: number; head: (old: MessageHead) => MessageHead; maxEdits: number;
    mentions: readonly string[]; fileRefs: readonly string[]; at: Date;
  }): Promise<EditOutcome> {
    return this.db.kysely.transaction().execute(async (trx) => {
      const row = await this.#locked(trx, conversationId, seq);
      if (!row) return 'not-found';
      const msg = this.#record(row);
      if (msg.deletedAt !== null) return 'deleted';
      if ((msg.head.edit_count ?? 0) >= change.maxEdits) return 'max-edits';
      await trx.updateTable('messages')
        .set({ content: change.content, content_key_id: change.keyId, head: this.#headJson(change.head(msg.head)), updated_at: change.at })
        .where('id', '=', msg.id).execute();
      await trx.deleteFrom('message_mentions').where('message_id', '=', msg.id).execute();
      await trx.deleteFrom('message_files').where('message_id', '=', msg.id).execute();
      await this.#writeRefs(trx, msg.id, conversationId, change.mentions, change.fileRefs, msg.createdAt);
      return 'ok';
    });
  }

  /** Applies `change` to the head under the row lock; false when the message does not exist. */
  async updateHead(conversationId: string, seq: number, change: (old: MessageHead) => MessageHead, at: Date): Promise<boolean> {
    return this.db.kysely.transaction().execute(async (trx) => {
      const row = await this.#locked(trx, conversationId, seq);
      if (!row) return false;
      const head = change(asHead(this.db.codec.json(row.head)));
      await trx.updateTable('messages').set({ head: this.#headJson(head), updated_at: at }).where('id', '=', row.id).execute();
      return true;
    });
  }

  /** Marks a message deleted for everyone (content kept, §5.4); false when it already was. */
  async markDeleted(messageId: string, at: Date, unsent: boolean): Promise<boolean> {
    return this.db.kysely.transaction().execute(async (trx) => {
      const row = await this.#lockedById(trx, messageId);
      if (!row || row.deleted_at !== null) return false;
      const head = asHead(this.db.codec.json(row.head));
      const set = unsent ? { deleted_at: at, updated_at: at, head: this.#headJson({ ...head, unsent: true }) } : { deleted_at: at, updated_at: at };
      await trx.updateTable('messages').set(set).where('id', '=', messageId).execute();
      return true;
    });
  }

  /** Delete for me; idempotent. */
  async hideFor(messageId: string, userId: string, at: Date): Promise<void> {
    await this.db.kysely.insertInto('message_deletions').values({ message_id: messageId, user_id: userId, deleted_at: at })
      .onConflict((oc) => oc.columns(['message_id', 'user_id']).doNothing()).execute();
  }

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

  async #raise(q: Q, conversationId: string, userId: string, seqs: { read?: number; recv: number }, at: Date): Promise<Receipts | null> {
    const raise = (col: 'read_seq' | 'recv_seq', to: number) => sql<number>`CASE WHEN ${sql.ref(col)} < ${to} THEN ${to} ELSE ${sql.ref(col)} END`;
    const row = await q.updateTable('members')
      .set({ recv_seq: raise('recv_seq', seqs.recv), updated_at: at, ...(seqs.read !== undefined ? { read_seq: raise('read_seq', seqs.read) } : {}) })
      .where('conversation_id', '=', conversationId).where('user_id', '=', userId).where('deleted_at', 'is', null)
      .returning(['read_seq', 'recv_seq'])
      .executeTakeFirst();
    return row ? { readSeq: row.read_seq, recvSeq: row.recv_seq } : null;
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

  async #locked(trx: Transaction<Database>, conversationId: string, seq: number) {
    let q = trx.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).where('seq', '=', seq);
    if (this.db.dialect === 'postgres') q = q.forUpdate();
    return q.executeTakeFirst();
  }

  async #lockedById(trx: Transaction<Database>, id: string) {
    let q = trx.selectFrom('messages').selectAll().where('id', '=', id);
    if (this.db.dialect === 'postgres') q = q.forUpdate();
    return q.executeTakeFirst();
  }
}

/** Not deleted for `reader` and not expired for them (by flag or by time: correctness never waits for the sweep). */
function visibleTo(eb: MessagesEb, reader: string, now: Date): Expression<SqlBool> {
  return eb.and([
    eb.not(eb.exists(eb.selectFrom('message_deletions').select(sql.lit(1).as('x'))
      .whereRef('message_deletions.message_id', '=', 'messages.id').where('message_deletions.user_id', '=', reader))),
    eb.not(eb.exists(eb.selectFrom('message_reads').select(sql.lit(1).as('x'))
      .whereRef('message_reads.message_id', '=', 'messages.id').where('message_reads.user_id', '=', reader)
      .where((r) => r.or([r('message_reads.expired', '=', true), r('message_reads.expires_at', '<=', now)])))),
  ]);
}

function stamp(db: Db, d: Date) {
  return db.dialect === 'postgres' ? sql`CAST(${d} AS timestamptz)` : sql`${d}`;
}

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
