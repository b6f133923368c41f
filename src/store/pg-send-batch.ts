import { CompiledQuery, type Transaction } from 'kysely';
import { randomUUID } from 'node:crypto';
import type { MessageHead } from '../protocol/message-head.js';
import type { Database } from './schema.js';
import type { NewMessage } from './message-record.js';
import { batchRefCtes, batchRefParams } from './message-refs.js';

/** What one send stores (the member version is checked by the caller). */
export type BatchedSend = Omit<NewMessage, 'memberVersion'>;

// Conversation rows locked in id order first: concurrent batches, on this node or others, never deadlock.
const LOCK_SQL = 'select id from conversations where id = any($1::uuid[]) order by id for update';

// Every send of the batch in one statement: seqs allocated per conversation in input order,
// rows, mention and file index rows (written by message-refs.ts). Returns one row per input position (1-based `ord`).
const INSERT_SQL = `with input as (
    select * from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bytea[], $5::int[], $6::text[], $7::bool[], $8::int[], $9::text[], $10::timestamptz[])
      with ordinality as t(conv, id, from_user, content, key_id, head, view_once, ttl, nonce, at, ord)
  ), counts as (
    select conv, count(*)::int as n, max(at) as last_at from input group by conv
  ), bumped as (
    update conversations c set last_seq = c.last_seq + counts.n, last_msg_at = counts.last_at
    from counts where c.id = counts.conv
    returning c.id, c.last_seq, c.member_version, counts.n
  ), numbered as (
    select i.*, b.last_seq - b.n + (row_number() over (partition by i.conv order by i.ord))::int as seq, b.member_version
    from input i join bumped b on b.id = i.conv
  ), stored as (
    insert into messages (id, conversation_id, seq, from_user_id, created_at, updated_at, content, content_key_id, head, view_once, view_once_ttl, nonce)
    select id, conv, seq, from_user, at, at, content, key_id, head::jsonb, view_once, ttl, nonce from numbered
  ), ${batchRefCtes(11)}
  select ord::int as ord, seq, member_version from numbered`;

/**
 * Stores many sends in two statements inside the caller's transaction: row
 * locks are held for two round trips and the commit, not one round trip per
 * send. Results are in input order. Throws (and the caller's transaction
 * rolls back) on any failure, such as a nonce used before.
 */
export async function insertSendBatch(
  trx: Transaction<Database>,
  sends: readonly BatchedSend[],
  headJson: (head: MessageHead) => string | null,
): Promise<{ seq: number; memberVersion: number }[]> {
  const convs = [...new Set(sends.map((s) => s.conversationId))];
  // One conversation: its single row lock is taken by the update itself, no order to keep.
  if (convs.length > 1) await trx.executeQuery(CompiledQuery.raw(LOCK_SQL, [convs]));
  const { rows } = await trx.executeQuery<{ ord: number; seq: number; member_version: number }>(
    CompiledQuery.raw(INSERT_SQL, [
      sends.map((s) => s.conversationId),
      sends.map(() => randomUUID()),
      sends.map((s) => s.from),
      sends.map((s) => s.content),
      sends.map((s) => s.keyId),
      sends.map((s) => headJson(s.head)),
      sends.map((s) => s.viewOnce),
      sends.map((s) => s.viewOnceTtl),
      sends.map((s) => s.nonce),
      sends.map((s) => s.at),
      ...batchRefParams(sends),
    ]),
  );
  const out = new Array<{ seq: number; memberVersion: number }>(sends.length);
  for (const r of rows) out[r.ord - 1] = { seq: r.seq, memberVersion: r.member_version };
  if (out.some((r) => r === undefined)) throw new Error('a conversation of the batch does not exist');
  return out;
}
