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

/** Where an event sits in the log: events are read in (stamp, pos) order (see migration 012). */
export interface SyncPosition {
  stamp: number;
  pos: number;
}

/** A position after every event of its stamp: "everything below the next stamp was read". */
export const END_OF_STAMP = Number.MAX_SAFE_INTEGER;

export function comparePositions(a: SyncPosition, b: SyncPosition): number {
  return a.stamp - b.stamp || a.pos - b.pos;
}

export interface SyncEvent extends SyncPosition {
  conversationId: string;
  userId: string | null;
  kind: SyncKind;
  from: string;
  seq: number;
  subject: string | null;
  extra: string | null;
  at: Date;
}

// PostgreSQL: `pos` from a sequence; `stamp` at least this transaction's id and, under the conversation's row
// lock (a send), at least the stamp of the conversation's events before it. Rows keep input order.
const PG_APPEND_SQL = `insert into sync_events (pos, stamp, conversation_id, user_id, kind, from_user, seq, subject, extra, created_at)
  select nextval('sync_pos'),
    greatest(pg_current_xact_id()::text::bigint,
      coalesce((select max(p.stamp) from sync_events p where p.conversation_id = t.conv and p.user_id is null), 0)),
    t.conv, t.uid, t.kind, t.from_user, t.seq, t.subject, t.extra, t.at
  from unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::int[], $6::uuid[], $7::text[], $8::timestamptz[])
    with ordinality as t(conv, uid, kind, from_user, seq, subject, extra, at, ord)
  returning pos, stamp`;

// The oldest transaction still running: every event that commits from now on has a stamp at or above it.
const PG_HORIZON_SQL = 'select pg_snapshot_xmin(pg_current_snapshot())::text::bigint as xmin, pg_snapshot_xmax(pg_current_snapshot())::text::bigint as xmax';

// One page for one user, below the horizon of this statement's own snapshot: each of her conversations read
// through its index, then her own events, merged.
const PG_PAGE_SQL = `with h as (select pg_snapshot_xmin(pg_current_snapshot())::text::bigint as xmin)
  select * from (
    select e.* from members m
    cross join lateral (
      select s.* from sync_events s, h
      where s.conversation_id = m.conversation_id and s.user_id is null and (s.stamp, s.pos) > ($2, $3) and s.stamp < h.xmin
      order by s.stamp, s.pos limit $4
    ) e
    where m.user_id = $1 and m.deleted_at is null
    union all
    (select s.* from sync_events s, h where s.user_id = $1 and (s.stamp, s.pos) > ($2, $3) and s.stamp < h.xmin order by s.stamp, s.pos limit $4)
  ) page order by stamp, pos limit $4`;

const SQLITE_APPEND_SQL =
  'insert into sync_events (conversation_id, user_id, kind, from_user, seq, subject, extra, created_at) values (?, ?, ?, ?, ?, ?, ?, ?)';

/**
 * The sync log. Guarantees: an event's position is fixed when it is stored;
 * a reader never passes an event that commits later, whatever node writes
 * it (see migration 012); a page lists, in position order, the events of
 * the conversations the user is an active member of now plus her own; a
 * conversation's messages are in seq order.
 */
export class SyncEventStore {
  constructor(private readonly db: Db) {}

  /** Stores events in one transaction of their own; returns their positions in input order. */
  async append(events: readonly NewSyncEvent[]): Promise<SyncPosition[]> {
    if (events.length === 0) return [];
    const fast = this.db.sqlite;
    if (fast) return fast.grouped(() => this.appendSqlite(fast, events));
    return this.appendPg(this.db.kysely, events);
  }

  /** Inside a synchronous SQLite transaction (the send path). */
  appendSqlite(db: SqliteHandle, events: readonly NewSyncEvent[]): SyncPosition[] {
    const insert = db.prepare(SQLITE_APPEND_SQL);
    return events.map((e) => ({
      stamp: 0,
      pos: Number(insert.run(e.conversationId, e.userId, e.kind, e.from, e.seq ?? 0, e.subject ?? null, e.extra ?? null, e.at.toISOString()).lastInsertRowid),
    }));
  }

  /** Inside a PostgreSQL transaction (after the send's conversation rows are locked), or alone. */
  async appendPg(q: Transaction<Database> | Db['kysely'], events: readonly NewSyncEvent[]): Promise<SyncPosition[]> {
    if (events.length === 0) return [];
    const { rows } = await q.executeQuery<{ pos: number | string; stamp: number | string }>(
      CompiledQuery.raw(PG_APPEND_SQL, [
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
    // The sequence hands out positions in row order: sorted by pos they are in input order.
    return rows.map((r) => ({ stamp: Number(r.stamp), pos: Number(r.pos) })).sort((a, b) => a.pos - b.pos);
  }

  /**
   * A cursor for "from now on": every event below it is visible now, so a
   * page read after this call returns everything after it.
   */
  async latest(): Promise<SyncPosition> {
    if (this.db.dialect === 'postgres') {
      const { rows } = await this.db.kysely.executeQuery<{ xmin: number | string }>(CompiledQuery.raw(PG_HORIZON_SQL, []));
      return { stamp: Number(rows[0]!.xmin) - 1, pos: END_OF_STAMP };
    }
    // The highest rowid ever handed out (AUTOINCREMENT keeps it), so deleting the newest rows never moves it back.
    const { rows } = await sql<{ seq: number }>`select seq from sqlite_sequence where name = 'sync_events'`.execute(this.db.kysely);
    const floor = await this.floor();
    return { stamp: 0, pos: Math.max(Number(rows[0]?.seq ?? 0), floor.pos) };
  }

  /** Whether `p` lies beyond anything this log has handed out (a cursor from another database). */
  async beyond(p: SyncPosition): Promise<boolean> {
    if (this.db.dialect === 'postgres') {
      const { rows } = await this.db.kysely.executeQuery<{ xmax: number | string }>(CompiledQuery.raw(PG_HORIZON_SQL, []));
      return p.stamp >= Number(rows[0]!.xmax);
    }
    return p.stamp !== 0 || p.pos > (await this.latest()).pos;
  }

  /** The highest position pruned: a cursor below it may have missed events. */
  async floor(): Promise<SyncPosition> {
    const state = await this.db.kysely.selectFrom('sync_state').select(['floor_stamp', 'floor_pos']).where('id', '=', 1).executeTakeFirstOrThrow();
    return { stamp: Number(state.floor_stamp), pos: Number(state.floor_pos) };
  }

  /** Up to `limit` events after `since` for `userId`, oldest first. */
  async page(userId: string, since: SyncPosition, limit: number): Promise<SyncEvent[]> {
    if (this.db.dialect === 'postgres') {
      const { rows } = await this.db.kysely.executeQuery<Record<string, unknown>>(CompiledQuery.raw(PG_PAGE_SQL, [userId, since.stamp, since.pos, limit]));
      return rows.map((r) => this.#event(r));
    }
    const rows = await this.db.kysely
      .selectFrom('sync_events')
      .selectAll()
      .where('pos', '>', since.pos)
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
      const old = await trx
        .selectFrom('sync_events')
        .select(['stamp', 'pos'])
        .where('created_at', '<', before)
        .orderBy('stamp')
        .orderBy('pos')
        .limit(limit)
        .execute();
      const top = old.at(-1);
      if (!top) return 0;
      const edge = { stamp: Number(top.stamp), pos: Number(top.pos) };
      const gone = await trx
        .deleteFrom('sync_events')
        .where((eb) => eb.or([eb('stamp', '<', edge.stamp), eb.and([eb('stamp', '=', edge.stamp), eb('pos', '<=', edge.pos)])]))
        .executeTakeFirst();
      const floor = await this.#floorIn(trx);
      if (comparePositions(edge, floor) > 0) {
        await trx.updateTable('sync_state').set({ floor_stamp: edge.stamp, floor_pos: edge.pos }).where('id', '=', 1).execute();
      }
      return Number(gone.numDeletedRows);
    });
  }

  async #floorIn(trx: Transaction<Database>): Promise<SyncPosition> {
    const q = trx.selectFrom('sync_state').select(['floor_stamp', 'floor_pos']).where('id', '=', 1);
    // SQLite has one writer; PostgreSQL takes the row so two prunes raise the floor one after the other.
    const state = await (this.db.dialect === 'postgres' ? q.forUpdate() : q).executeTakeFirstOrThrow();
    return { stamp: Number(state.floor_stamp), pos: Number(state.floor_pos) };
  }

  #event(r: Record<string, unknown>): SyncEvent {
    return {
      pos: Number(r.pos),
      stamp: Number(r.stamp),
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
