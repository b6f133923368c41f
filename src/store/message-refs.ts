import type { Transaction } from 'kysely';
import type { SqliteHandle } from './database.js';
import type { Database } from './schema.js';

/**
 * The only writer of a message's index rows: `message_mentions` (who it
 * mentions) and `message_files` (which files it references). Every form
 * writes the same rows; each runs inside the caller's transaction, so the
 * index rows commit or roll back with the message they describe.
 */
export interface MessageRefs {
  /** Distinct mentioned user ids, canonical form. */
  mentions: readonly string[];
  /** Distinct referenced file ids, canonical form. */
  fileRefs: readonly string[];
}

const MENTION_SQL = 'insert into message_mentions (message_id, user_id, conversation_id, created_at) values (?, ?, ?, ?)';
const FILE_SQL = 'insert into message_files (message_id, file_id, conversation_id) values (?, ?, ?)';

/** The rows of one new message, synchronously, inside the SQLite send transaction. `at` is the message time, ISO text. */
export function insertRefsSqlite(db: SqliteHandle, messageId: string, conversationId: string, refs: MessageRefs, at: string): void {
  const mention = refs.mentions.length > 0 ? db.prepare(MENTION_SQL) : null;
  for (const user of refs.mentions) mention?.run(messageId, user, conversationId, at);
  const file = refs.fileRefs.length > 0 ? db.prepare(FILE_SQL) : null;
  for (const f of refs.fileRefs) file?.run(messageId, f, conversationId);
}

/** Replaces the rows of an edited message: the old ones are deleted, the new ones written with the message's time. */
export async function replaceRefs(trx: Transaction<Database>, messageId: string, conversationId: string, refs: MessageRefs, at: Date): Promise<void> {
  await trx.deleteFrom('message_mentions').where('message_id', '=', messageId).execute();
  await trx.deleteFrom('message_files').where('message_id', '=', messageId).execute();
  if (refs.mentions.length > 0) {
    await trx
      .insertInto('message_mentions')
      .values(refs.mentions.map((user_id) => ({ message_id: messageId, user_id, conversation_id: conversationId, created_at: at })))
      .execute();
  }
  if (refs.fileRefs.length > 0) {
    await trx
      .insertInto('message_files')
      .values(refs.fileRefs.map((file_id) => ({ message_id: messageId, file_id, conversation_id: conversationId })))
      .execute();
  }
}

/**
 * The batched form, for the PostgreSQL send statement: CTEs inserting the
 * rows of every send of a batch, joined to the CTE `numbered` (one row per
 * send: id, conv, at, ord) through the input position. Takes four parameters
 * from `$first` on, filled by `batchRefParams`.
 */
export function batchRefCtes(first: number): string {
  const [mo, mu, fo, fi] = [first, first + 1, first + 2, first + 3];
  return `mentioned as (
    insert into message_mentions (message_id, user_id, conversation_id, created_at)
    select n.id, mm.u, n.conv, n.at from unnest($${mo}::int[], $${mu}::uuid[]) as mm(ord, u) join numbered n on n.ord = mm.ord
  ), referenced as (
    insert into message_files (message_id, file_id, conversation_id)
    select n.id, ff.f, n.conv from unnest($${fo}::int[], $${fi}::uuid[]) as ff(ord, f) join numbered n on n.ord = ff.ord
  )`;
}

/** The four parameters of `batchRefCtes`: (1-based input position, user id) and (position, file id) pairs. */
export function batchRefParams(sends: readonly MessageRefs[]): [number[], string[], number[], string[]] {
  const mentionOrd: number[] = [];
  const mentionUser: string[] = [];
  const fileOrd: number[] = [];
  const fileId: string[] = [];
  sends.forEach((s, i) => {
    for (const u of s.mentions) mentionOrd.push(i + 1), mentionUser.push(u);
    for (const f of s.fileRefs) fileOrd.push(i + 1), fileId.push(f);
  });
  return [mentionOrd, mentionUser, fileOrd, fileId];
}
