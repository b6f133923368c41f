import { sql } from 'kysely';
import type { Db } from './database.js';

export interface SessionRecord {
  id: string;
  userId: string;
  createdAt: Date;
  lastActive: Date;
  ua: string;
  deviceId: string;
  lang: string;
  /** Masked address. */
  ip: string;
  endedAt: Date | null;
}

export interface NewSession {
  id: string;
  userId: string;
  ua: string;
  deviceId: string;
  lang: string;
  /** Already masked by the caller; stored as given. */
  ip: string;
  /** SHA-256 of the token naming no session that this session continues. */
  legacyKey?: string | undefined;
  at: Date;
}

/**
 * Sessions (devices) of each user. Ending a session keeps its row, marked
 * ended, so its tokens stay refused; `pruneEnded` drops rows no token can
 * name any more. Every ending is one conditional update: of two endings of
 * one session exactly one reports it.
 */
export class SessionStore {
  constructor(private readonly db: Db) {}

  #row(r: Record<string, any>): SessionRecord {
    const c = this.db.codec;
    return {
      id: r.id,
      userId: r.user_id,
      createdAt: c.date(r.created_at),
      lastActive: c.date(r.last_active),
      ua: r.ua,
      deviceId: r.device_id,
      lang: r.lang,
      ip: r.ip,
      endedAt: c.dateOrNull(r.ended_at),
    };
  }

  async create(s: NewSession): Promise<SessionRecord> {
    const row = {
      id: s.id,
      user_id: s.userId,
      created_at: s.at,
      last_active: s.at,
      ua: s.ua.slice(0, 255),
      device_id: s.deviceId.slice(0, 128),
      lang: s.lang.slice(0, 16),
      ip: s.ip.slice(0, 64),
      legacy_key: s.legacyKey ?? null,
      ended_at: null,
    };
    await this.db.kysely.insertInto('sessions').values(row).execute();
    return this.#row(row);
  }

  /** One session, ended or not. */
  async get(id: string): Promise<SessionRecord | null> {
    const fast = this.db.sqlite;
    // Every token login reads its session: a prepared statement on the embedded default.
    const row = fast
      ? await fast.exclusive(() => fast.prepare('select * from sessions where id = ?').get(id) as Record<string, unknown> | undefined)
      : await this.db.kysely.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? this.#row(row) : null;
  }

  /** The session a token naming no session started, ended or not. */
  async findLegacy(userId: string, legacyKey: string): Promise<SessionRecord | null> {
    const row = await this.db.kysely.selectFrom('sessions').selectAll().where('user_id', '=', userId).where('legacy_key', '=', legacyKey).executeTakeFirst();
    return row ? this.#row(row) : null;
  }

  /** Her sessions not ended and started after `since`, oldest first. */
  async listActive(userId: string, since: Date): Promise<SessionRecord[]> {
    const rows = await this.db.kysely
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('ended_at', 'is', null)
      .where('created_at', '>', since)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => this.#row(r));
  }

  /** Records activity of a live session. */
  async touch(id: string, at: Date): Promise<void> {
    await this.db.kysely.updateTable('sessions').set({ last_active: at }).where('id', '=', id).where('ended_at', 'is', null).execute();
  }

  /** Ends one of her sessions; false when it is not hers, unknown or already ended. */
  async end(userId: string, id: string, at: Date): Promise<boolean> {
    const r = await this.db.kysely
      .updateTable('sessions')
      .set({ ended_at: at })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /**
   * Ends every session of hers but `exceptId` (all with none) and raises her
   * cutoff, so tokens naming no session issued until now are refused too.
   * Returns the ids it ended.
   */
  async endAllBut(userId: string, exceptId: string | null, at: Date): Promise<string[]> {
    return this.db.kysely.transaction().execute(async (trx) => {
      let q = trx.selectFrom('sessions').select('id').where('user_id', '=', userId).where('ended_at', 'is', null);
      if (exceptId !== null) q = q.where('id', '!=', exceptId);
      const ids = (await q.execute()).map((r) => r.id);
      if (ids.length > 0) await trx.updateTable('sessions').set({ ended_at: at }).where('id', 'in', ids).where('ended_at', 'is', null).execute();
      // Whole seconds, as in a token's `iat`: a token of this very second is refused too.
      const cutoff = Math.floor(at.getTime() / 1000) + 1;
      await trx
        .updateTable('users')
        .set({ session_cutoff: sql<number>`case when session_cutoff < ${cutoff} then ${cutoff} else session_cutoff end` })
        .where('id', '=', userId)
        .execute();
      return ids;
    });
  }

  /** Ends her oldest live sessions (started after `since`) beyond the newest `keep`; returns their ids. */
  async endBeyond(userId: string, keep: number, since: Date, at: Date): Promise<string[]> {
    const live = await this.listActive(userId, since);
    const excess = live.slice(0, Math.max(0, live.length - keep)).map((s) => s.id);
    const ended: string[] = [];
    for (const id of excess) if (await this.end(userId, id, at)) ended.push(id);
    return ended;
  }

  /** Drops her ended rows older than `before` (no token can name them any more). */
  async pruneEnded(userId: string, before: Date): Promise<void> {
    await this.db.kysely.deleteFrom('sessions').where('user_id', '=', userId).where('ended_at', '<', before).execute();
  }

  /** Erases every session row of hers (account deletion). */
  async deleteAllFor(userId: string): Promise<void> {
    await this.db.kysely.deleteFrom('sessions').where('user_id', '=', userId).execute();
  }
}
