import { CompiledQuery, sql, type Transaction } from 'kysely';
import type { Db, SqliteHandle } from './database.js';
import type { Database } from './schema.js';

/** What a sync event is about; the replay turns each into the frame of its kind, as things are now. */
export type SyncKind =
  | 'data'
  | 'edit'
  | 'unsend'
  | 'delete'
  | 'react'
  | 'read'
  | 'recv'
  | 'pin'
  | 'unpin'
  | 'disappearing_updated'
  | 'member_joined'
  | 'member_left'
  | 'member_kicked'
  | 'role_changed'
  | 'room_updated'
  | 'expired'
  | 'delete_for_me'
  | 'clear'
  | 'settings';

export interface NewSyncEvent {
  conversationId: string;
  /** Null: every member of the conversation sees it. Set: only this user (her own change, her removal, her expiry). */
  userId: string | null;
  kind: SyncKind;
  from: string;
  seq?: number | undefined;
  /** The user an event is about (`member_joined`, `member_kicked`, `role_changed`). */
  subject?: string | null | undefined;
  /** A small setting, never message content: the emoji, the role, `public` for a room_updated with public data. */
  extra?: string | null | undefined;
  at: Date;
}

export interface SyncEvent {
  pos: number;
  conversationId: string;
  userId: string | null;
  kind: SyncKind;
  from: string;
  seq: number;
  subject: string | null;
  extra: string | null;
  at: Date;
}

// PostgreSQL: positions from the clock row, whose lock is held until commit, so positions grow in commit order.
const PG_APPEND_SQL = `with c as (
    update sync_state set clock = clock + $1 where id = 1 returning clock
  )
  insert into sync_events (pos, conversation_id, user_id, kind, from_user, seq, subject, extra, created_at)
  select c.clock - $1 + t.ord, t.conv, t.uid, t.kind, t.from_user, t.seq, t.subject, t.extra, t.at
  from c, unnest($2::uuid[], $3::uuid[], $4::text[], $5::uuid[], $6::int[], $7::uuid[], $8::text[], $9::timestamptz[])
    with ordinality as t(conv, uid, kind, from_user, seq, subject, extra, at, ord)
  returning pos`;

// One page for one user: each of her conversations read through its index, then her own events, merged by position.
const PG_PAGE_SQL = `select * from (
    select e.* from members m
    cross join lateral (
      select * from sync_events e
      where e.conversation_id = m.conversation_id and e.user_id is null and e.pos > $2
      order by e.pos limit $3
    ) e
    where m.user_id = $1 and m.deleted_at is null
    union all
    (select * from sync_events where user_id = $1 and pos > $2 order by pos limit $3)
  ) page order by pos limit $3`;

const SQLITE_APPEND_SQL =
  'insert into sync_events (conversation_id, user_id, kind, from_user, seq, subject, extra, created_at) values (?, ?, ?, ?, ?, ?, ?, ?)';

/**
 * The sync log. Guarantees: an event's position is fixed when it is stored
 * and positions grow in commit order (see migration 012), so a reader that
 * has seen position P has seen every event at or below P that will ever be
 * visible; a page lists, in position order, the events of the conversations
 * the user is an active member of now plus her own events.
 */
export class SyncEventStore {
  constructor(private readonly db: Db) {}

  /** Stores events in one transaction of their own; returns their positions in input order. */
  async append(events: readonly NewSyncEvent[]): Promise<number[]> {
    if (events.length === 0) return [];
    const fast = this.db.sqlite;
    if (fast) return fast.grouped(() => this.appendSqlite(fast, events));
    return this.appendPg(this.db.kysely, events);
  }

  /** Inside a synchronous SQLite transaction (the send path). */
  appendSqlite(db: SqliteHandle, events: readonly NewSyncEvent[]): number[] {
    const insert = db.prepare(SQLITE_APPEND_SQL);
    return events.map((e) =>
      Number(insert.run(e.conversationId, e.userId, e.kind, e.from, e.seq ?? 0, e.subject ?? null, e.extra ?? null, e.at.toISOString()).lastInsertRowid),
    );
  }

  /** Inside a PostgreSQL transaction (or alone): holds the clock row until that transaction ends, so call it last. */
  async appendPg(q: Transaction<Database> | Db['kysely'], events: readonly NewSyncEvent[]): Promise<number[]> {
    if (events.length === 0) return [];
    const { rows } = await q.executeQuery<{ pos: number }>(
      CompiledQuery.raw(PG_APPEND_SQL, [
        events.length,
        events.map((e) => e.conversationId),
        events.map((e) => e.userId),
        events.map((e) => e.kind),
        events.map((e) => e.from),
        events.map((e) => e.seq ?? 0),
        events.map((e) => e.subject ?? null),
        events.map((e) => e.extra ?? null),
        events.map((e) => e.at),
      ]),
    );
    return rows.map((r) => Number(r.pos)).sort((a, b) => a - b);
  }

  /** The newest position stored or pruned: a cursor for "from now on". */
  async latest(): Promise<number> {
    const state = await this.db.kysely.selectFrom('sync_state').select(['clock', 'floor']).where('id', '=', 1).executeTakeFirstOrThrow();
    if (this.db.dialect === 'postgres') return Number(state.clock);
    // The highest rowid ever handed out (AUTOINCREMENT keeps it), so deleting the newest rows never moves it back.
    const { rows } = await sql<{ seq: number }>`select seq from sqlite_sequence where name = 'sync_events'`.execute(this.db.kysely);
    return Math.max(Number(rows[0]?.seq ?? 0), Number(state.floor));
  }

  /** The highest position pruned: a cursor below it may have missed events. */
  async floor(): Promise<number> {
    const state = await this.db.kysely.selectFrom('sync_state').select('floor').where('id', '=', 1).executeTakeFirstOrThrow();
    return Number(state.floor);
  }

  /** Up to `limit` events after `since` for `userId`, oldest first. */
  async page(userId: string, since: number, limit: number): Promise<SyncEvent[]> {
    if (this.db.dialect === 'postgres') {
      const { rows } = await this.db.kysely.executeQuery<Record<string, unknown>>(CompiledQuery.raw(PG_PAGE_SQL, [userId, since, limit]));
      return rows.map((r) => this.#event(r));
    }
    const rows = await this.db.kysely
      .selectFrom('sync_events')
      .selectAll()
      .where('pos', '>', since)
      .where((eb) =>
        eb.or([
          eb('user_id', '=', userId),
          eb.and([
            eb('user_id', 'is', null),
            eb('conversation_id', 'in', eb.selectFrom('members').select('conversation_id').where('user_id', '=', userId).where('deleted_at', 'is', null)),
          ]),
        ]),
      )
      .orderBy('pos')
      .limit(limit)
      .execute();
    return rows.map((r) => this.#event(r));
  }

  /**
   * Removes up to `limit` events stored before `before`, oldest first, and
   * raises the floor to the highest position removed. Returns how many went.
   */
  async prune(before: Date, limit: number): Promise<number> {
    return this.db.kysely.transaction().execute(async (trx) => {
      const edge = await trx
        .selectFrom((eb) => eb.selectFrom('sync_events').select('pos').where('created_at', '<', before).orderBy('pos').limit(limit).as('old'))
        .select((eb) => [eb.fn.max('pos').as('top'), eb.fn.countAll().as('n')])
        .executeTakeFirst();
      const top = Number(edge?.top ?? 0);
      if (!top) return 0;
      await trx.deleteFrom('sync_events').where('pos', '<=', top).execute();
      await trx
        .updateTable('sync_state')
        .set({ floor: sql<number>`case when floor < ${top} then ${top} else floor end` })
        .where('id', '=', 1)
        .execute();
      return Number(edge?.n ?? 0);
    });
  }

  #event(r: Record<string, unknown>): SyncEvent {
    return {
      pos: Number(r.pos),
      conversationId: String(r.conversation_id),
      userId: (r.user_id as string | null) ?? null,
      kind: r.kind as SyncKind,
      from: String(r.from_user),
      seq: Number(r.seq),
      subject: (r.subject as string | null) ?? null,
      extra: (r.extra as string | null) ?? null,
      at: this.db.codec.date(r.created_at as string | Date),
    };
  }
}
