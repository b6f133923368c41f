import { sql, type Expression, type ExpressionBuilder, type RawBuilder, type SqlBool } from 'kysely';
import type { Database } from './schema.js';
import type { Dialect } from './migrations/column-types.js';
import { ALLOWED_TTLS, DEFAULT_VIEW_ONCE_TTL } from '../protocol/message-head.js';

/** What one `read` stamps on the messages it covers (PROTOCOL §5.5). */
export interface ReadExpiry {
  readAt: Date;
  /** The conversation's disappearing TTL at read time, seconds; null = off. */
  conversationTtl: number | null;
}

/**
 * Parameters of the read INSERT ... SELECT, typed for the dialect (PostgreSQL
 * cannot infer types of parameters in a select list). Expiry times are
 * computed here, not with dialect date arithmetic: a view-once message expires
 * after its own TTL (one of the allowed values, default 10 s), any other
 * message after the conversation TTL, or never.
 */
export function readStamps(
  dialect: Dialect,
  e: ReadExpiry,
): { reader(id: string): RawBuilder<unknown>; readAt: RawBuilder<unknown>; expiresAt: RawBuilder<unknown> } {
  const pg = dialect === 'postgres';
  const ts = (d: Date) => (pg ? sql`CAST(${d} AS timestamptz)` : sql`${d}`);
  const after = (seconds: number) => ts(new Date(e.readAt.getTime() + seconds * 1000));
  const viewOnce = sql`CASE COALESCE(m.view_once_ttl, ${sql.lit(DEFAULT_VIEW_ONCE_TTL)}) ${sql.join(
    ALLOWED_TTLS.map((t) => sql`WHEN ${sql.lit(t)} THEN ${after(t)}`),
    sql` `,
  )} ELSE ${after(DEFAULT_VIEW_ONCE_TTL)} END`;
  const plain = e.conversationTtl ? after(e.conversationTtl) : sql`NULL`;
  return {
    reader: (id) => (pg ? sql`CAST(${id} AS uuid)` : sql`${id}`),
    readAt: ts(e.readAt),
    expiresAt: sql`CASE WHEN m.view_once THEN ${viewOnce} ELSE ${plain} END`,
  };
}

/**
 * "This message has expired for `reader`": by the flag the sweep sets or by
 * time, so correctness never waits for the sweep. `messageId` names the
 * message id column of the outer query (e.g. `messages.id`, `m.id`).
 */
export function expiredFor(eb: ExpressionBuilder<Database, any>, messageId: string, reader: string, now: Date): Expression<SqlBool> {
  return eb.exists(
    eb
      .selectFrom('message_reads as expiry')
      .select(sql.lit(1).as('x'))
      .whereRef('expiry.message_id', '=', sql.ref(messageId) as never)
      .where('expiry.user_id', '=', reader)
      .where((r) => r.or([r('expiry.expired', '=', true), r('expiry.expires_at', '<=', now)])),
  );
}
