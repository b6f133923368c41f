import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Db, SqliteHandle } from './database.js';
import type { Database } from './schema.js';
import type { MessageHead } from '../protocol/message-head.js';
import { sendRefusal, type MemberSnapshot } from './member-snapshot.js';
import type { MembershipStore } from './membership-store.js';
import { insertSendBatch } from './pg-send-batch.js';
import { headJson, type NewMessage } from './message-record.js';
import { insertRefsSqlite } from './message-refs.js';
import type { NewSyncEvent, SyncEventStore } from './sync-event-store.js';

export interface Stored {
  seq: number;
  createdAt: Date;
  /** A retry with a nonce already used: nothing was written, seq/createdAt are the original's. */
  duplicate: boolean;
  /** Member version at commit: the recipients are the members of this version. */
  memberVersion: number;
  /** Position of the message's sync event (0 for a duplicate). */
  pos: number;
}

/** The sender stopped being allowed to post between the check and the commit; nothing was stored. */
export class SendRefused extends Error {
  constructor(readonly reason: 'notMember' | 'peerDeleted' | 'blocked') {
    super(`send refused: ${reason}`);
    this.name = 'SendRefused';
  }
}

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

/**
 * Storing new messages (the send path). Guarantees: seq allocation and the
 * insert (with its mention and file-reference rows) happen in one
 * transaction, so seqs are gap-free and an acknowledged message is stored;
 * a sender who stopped being allowed to post before the commit is refused
 * with nothing stored; a nonce is used at most once per sender and
 * conversation (kept forever). Sends arriving together share one commit
 * (SQLite group commit, PostgreSQL batch queue); one failing send never
 * fails the others. The message's sync event is stored in the same
 * transaction, last, so its position is taken as late as possible.
 */
export class MessageSendStore {
  readonly #pgQueue: PendingInsert[] = [];
  #pgInFlight = 0;

  constructor(
    private readonly db: Db,
    private readonly members: MembershipStore,
    private readonly events: SyncEventStore,
  ) {}

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
        const rows = await insertSendBatch(
          trx,
          batch.map((p) => p.m),
          (h) => headJson(this.db.codec, h),
        );
        // Senders checked against an older member list are checked again, one read per conversation.
        const fresh = new Map<string, Promise<MemberSnapshot | null>>();
        const out = await Promise.all(
          rows.map(async (r, i): Promise<Stored> => {
            const m = batch[i]!.m;
            if (r.memberVersion !== m.memberVersion) {
              let members = fresh.get(m.conversationId);
              if (!members) fresh.set(m.conversationId, (members = this.members.loadSnapshot(m.conversationId, trx)));
              refuseIfNotAllowed(await members, m.from);
            }
            return { seq: r.seq, createdAt: m.at, duplicate: false, memberVersion: r.memberVersion, pos: 0 };
          }),
        );
        // Before the commit, in allocation order per conversation.
        const bySeq = out.map((_, i) => i).sort((x, y) => out[x]!.seq - out[y]!.seq);
        const positions = await this.events.appendPg(
          trx,
          bySeq.map((i) => dataEvent(batch[i]!.m, out[i]!.seq)),
        );
        for (const [k, i] of bySeq.entries()) out[i]!.pos = positions[k]!;
        for (const i of bySeq) batch[i]!.onSeq(out[i]!.seq);
        return out;
      });
    } catch {
      for (const p of batch) this.#insertPgAlone(p.m, p.onSeq).then(p.resolve, p.reject);
      return;
    }
    for (const [i, p] of batch.entries()) p.resolve(results[i]!);
  }

  /** One send in its own transaction; a nonce race answers with the winner's seq. */
  async #insertPgAlone(m: NewMessage, onSeq: (seq: number) => void): Promise<Stored> {
    try {
      return await this.db.kysely.transaction().execute(async (trx) => {
        const stored = await this.#insertPg(trx, m);
        if (stored.duplicate) return stored;
        [stored.pos] = (await this.events.appendPg(trx, [dataEvent(m, stored.seq)])) as [number];
        // Before the commit: the row lock keeps the next seq of this conversation waiting until then.
        onSeq(stored.seq);
        return stored;
      });
    } catch (err) {
      // Two retries with one nonce raced: the loser's transaction rolled back; answer with the winner.
      if (m.nonce !== null && isUniqueViolation(err)) {
        const original = await this.#byNonce(this.db.kysely, m.conversationId, m.from, m.nonce);
        if (original) return { ...original, duplicate: true, memberVersion: m.memberVersion, pos: 0 };
      }
      throw err;
    }
  }

  async #insertPg(trx: Transaction<Database>, m: NewMessage): Promise<Stored> {
    const original = m.nonce === null ? undefined : await this.#byNonce(trx, m.conversationId, m.from, m.nonce);
    if (original) return { ...original, duplicate: true, memberVersion: m.memberVersion, pos: 0 };
    // The batch statement for one send: seq allocation takes the conversation row lock, so membership changes
    // (which raise member_version by trigger) commit before or after it, never between.
    const [row] = await insertSendBatch(trx, [m], (h) => headJson(this.db.codec, h));
    if (row!.memberVersion !== m.memberVersion) refuseIfNotAllowed(await this.members.loadSnapshot(m.conversationId, trx), m.from);
    return { seq: row!.seq, createdAt: m.at, duplicate: false, memberVersion: row!.memberVersion, pos: 0 };
  }

  /**
   * The same insert as one synchronous SQLite transaction (the hot path of
   * the embedded default): no await between statements, so nothing else runs
   * in between and no other send queues behind it.
   */
  #insertSqlite(db: SqliteHandle, m: NewMessage, onSeq: (seq: number) => void): Stored {
    const at = m.at.toISOString();
    if (m.nonce !== null) {
      const orig = db
        .prepare('select seq, created_at from messages where conversation_id = ? and from_user_id = ? and nonce = ?')
        .get(m.conversationId, m.from, m.nonce) as { seq: number; created_at: string } | undefined;
      if (orig) return { seq: orig.seq, createdAt: new Date(orig.created_at), duplicate: true, memberVersion: m.memberVersion, pos: 0 };
    }
    const row = db
      .prepare('update conversations set last_seq = last_seq + 1, last_msg_at = ? where id = ? returning last_seq, member_version')
      .get(at, m.conversationId) as { last_seq: number; member_version: number } | undefined;
    if (!row) throw new Error(`conversation ${m.conversationId} not found`);
    if (row.member_version !== m.memberVersion) refuseIfNotAllowed(this.members.loadSnapshotSqlite(db, m.conversationId), m.from);
    const seq = row.last_seq;
    onSeq(seq);
    const id = randomUUID();
    db.prepare(
      'insert into messages (id, conversation_id, seq, from_user_id, created_at, updated_at, content, content_key_id, head, view_once, view_once_ttl, nonce) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(id, m.conversationId, seq, m.from, at, at, m.content, m.keyId, headJson(this.db.codec, m.head), m.viewOnce ? 1 : 0, m.viewOnceTtl, m.nonce);
    insertRefsSqlite(db, id, m.conversationId, m, at);
    const [pos] = this.events.appendSqlite(db, [dataEvent(m, seq)]) as [number];
    return { seq, createdAt: m.at, duplicate: false, memberVersion: row.member_version, pos };
  }

  async #byNonce(q: Q, conversationId: string, from: string, nonce: string): Promise<{ seq: number; createdAt: Date } | undefined> {
    const row = await q
      .selectFrom('messages')
      .select(['seq', 'created_at'])
      .where('conversation_id', '=', conversationId)
      .where('from_user_id', '=', from)
      .where('nonce', '=', nonce)
      .executeTakeFirst();
    return row ? { seq: row.seq, createdAt: this.db.codec.date(row.created_at) } : undefined;
  }
}

function dataEvent(m: NewMessage, seq: number): NewSyncEvent {
  return { conversationId: m.conversationId, userId: null, kind: 'data', from: m.from, seq, at: m.at };
}

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
