import { sql } from 'kysely';
import type { Db } from './database.js';
import { expiredFor } from './message-reads.js';

export type FileStatus = 'pending' | 'ready' | 'failed';

export interface FileRecord {
  id: string;
  uploaderId: string;
  createdAt: Date;
  mime: string;
  size: number;
  originalName: string | null;
  /** Storage key of the bytes (shared by every id with the same content). */
  location: string;
  hash: string | null;
  status: FileStatus;
}

export interface NewFile {
  id: string;
  uploaderId: string;
  mime: string;
  size: number;
  originalName: string | null;
  location: string;
  hash: string;
  /** False for types with nothing to extract: such a file is ready at once. */
  needsProcessing: boolean;
}

export interface MediaMetadata {
  width: number | null;
  height: number | null;
  duration: number | null;
  /** Thumbnail bytes with their true type, when one was made. */
  thumbnail: { bytes: Buffer; mime: string } | null;
}

/**
 * Uploaded files and their media metadata. A row is written once per upload
 * id; its status only moves pending → ready or pending → failed. Deleted rows
 * (deleted_at set) are invisible to every read here.
 */
export class FileStore {
  constructor(private readonly db: Db) {}

  #file(row: Record<string, any>): FileRecord {
    return {
      id: row.id,
      uploaderId: row.uploader_id,
      createdAt: this.db.codec.date(row.created_at),
      mime: row.mime_type,
      size: Number(row.size),
      originalName: row.original_name,
      location: row.location,
      hash: row.hash,
      status: row.status === 'ready' || row.status === 'failed' ? row.status : 'pending',
    };
  }

  /**
   * Records an upload: pending when it needs processing, else ready. Rows
   * sharing a hash (and so their stored bytes) are still independent: the new
   * row neither copies another's status, type or metadata nor reveals that one
   * exists, so an upload cannot tell whether someone else stored the same bytes.
   */
  async create(f: NewFile): Promise<{ file: FileRecord }> {
    await this.db.kysely
      .insertInto('files')
      .values({
        id: f.id,
        uploader_id: f.uploaderId,
        mime_type: f.mime,
        size: f.size,
        original_name: f.originalName,
        location: f.location,
        hash: f.hash,
        status: f.needsProcessing ? 'pending' : 'ready',
      })
      .execute();
    const row = await this.db.kysely.selectFrom('files').selectAll().where('id', '=', f.id).executeTakeFirstOrThrow();
    return { file: this.#file(row) };
  }

  async get(id: string): Promise<FileRecord | null> {
    const row = await this.db.kysely.selectFrom('files').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
    return row ? this.#file(row) : null;
  }

  /**
   * True when `userId` uploaded the file, or is an active member of a
   * conversation holding a live message that references it and has not
   * expired for them (view-once or disappearing, by flag or by time).
   */
  async canRead(file: FileRecord, userId: string, now: Date = new Date()): Promise<boolean> {
    if (file.uploaderId === userId) return true;
    return (await this.readableBy(userId, [file.id], now)).has(file.id);
  }

  /**
   * Which of `ids` (canonical UUIDs) exist and may be read by `userId`, by the
   * rule of `canRead`, in one indexed query. Missing and unreadable ids are
   * both simply absent from the answer.
   */
  async readableBy(userId: string, ids: readonly string[], now: Date = new Date()): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.kysely
      .selectFrom('files as f')
      .select('f.id')
      .where('f.id', 'in', [...ids])
      .where('f.deleted_at', 'is', null)
      .where((eb) =>
        eb.or([
          eb('f.uploader_id', '=', userId),
          eb.exists(
            eb
              .selectFrom('message_files as mf')
              .innerJoin('messages as m', (j) => j.onRef('m.id', '=', 'mf.message_id').onRef('m.conversation_id', '=', 'mf.conversation_id'))
              .innerJoin('members as mb', (j) => j.onRef('mb.conversation_id', '=', 'mf.conversation_id').on('mb.user_id', '=', userId))
              .select(sql.lit(1).as('x'))
              .whereRef('mf.file_id', '=', 'f.id')
              .where('m.deleted_at', 'is', null)
              .where('mb.deleted_at', 'is', null)
              .where((m) => m.not(expiredFor(m, 'm.id', userId, now))),
          ),
        ]),
      )
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  /** Files `userId` uploaded (not deleted), by id, after `afterId` when given: one page of at most `limit`. */
  async uploadedBy(userId: string, afterId: string | null, limit: number): Promise<FileRecord[]> {
    let q = this.db.kysely.selectFrom('files').selectAll().where('uploader_id', '=', userId).where('deleted_at', 'is', null);
    if (afterId !== null) q = q.where('id', '>', afterId);
    const rows = await q.orderBy('id').limit(limit).execute();
    return rows.map((r) => this.#file(r));
  }

  async metadata(id: string): Promise<MediaMetadata | null> {
    const row = await this.db.kysely.selectFrom('file_metadata').selectAll().where('file_id', '=', id).executeTakeFirst();
    if (!row) return null;
    const extra = this.db.codec.json(row.extra) as { thumbMime?: unknown } | null;
    // Reference rows carry no type: their thumbnails were JPEG or PNG; tell them apart by signature.
    const bytes = row.thumbnail ? Buffer.from(row.thumbnail, 'base64') : null;
    const mime = typeof extra?.thumbMime === 'string' ? extra.thumbMime : bytes && bytes[0] === 0x89 ? 'image/png' : 'image/jpeg';
    return {
      width: row.width,
      height: row.height,
      duration: row.duration,
      thumbnail: bytes && bytes.length > 0 ? { bytes, mime } : null,
    };
  }

  /** Stores the metadata (if any) and marks the file ready, atomically; a no-op unless it is still pending. */
  async markReady(id: string, meta: MediaMetadata | null): Promise<void> {
    await this.db.kysely.transaction().execute(async (trx) => {
      const changed = await trx
        .updateTable('files')
        .set({ status: 'ready', updated_at: new Date() })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (!meta || Number(changed.numUpdatedRows) === 0) return;
      const values = {
        width: meta.width,
        height: meta.height,
        duration: meta.duration,
        thumbnail: meta.thumbnail ? meta.thumbnail.bytes.toString('base64') : null,
        extra: this.db.codec.toJson(meta.thumbnail ? { thumbMime: meta.thumbnail.mime } : {}),
      };
      await trx
        .insertInto('file_metadata')
        .values({ file_id: id, ...values })
        .onConflict((oc) => oc.column('file_id').doUpdateSet(values))
        .execute();
    });
  }

  /** Marks a pending file failed, keeping the reason (never shown to clients). */
  async markFailed(id: string, reason: string): Promise<void> {
    await this.db.kysely.transaction().execute(async (trx) => {
      const changed = await trx
        .updateTable('files')
        .set({ status: 'failed', updated_at: new Date() })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(changed.numUpdatedRows) === 0) return;
      const extra = this.db.codec.toJson({ failure: reason.slice(0, 500) });
      await trx
        .insertInto('file_metadata')
        .values({ file_id: id, extra })
        .onConflict((oc) => oc.column('file_id').doUpdateSet({ extra }))
        .execute();
    });
  }

  /**
   * Account deletion, first half: hides every file `userId` uploaded that no
   * one else can still be given by a message: not cited by a live message in a
   * conversation with another active member. Files cited in what others
   * received stay theirs. Returns the storage keys no live row uses any more
   * (the caller removes those bytes, then calls `purgeErased`). Run again it
   * finds the same rows, so a crash between the halves loses nothing.
   */
  async eraseUnsharedOf(userId: string, now = new Date()): Promise<string[]> {
    await this.db.kysely
      .updateTable('files')
      .set({ deleted_at: now, updated_at: now })
      .where('uploader_id', '=', userId)
      .where('deleted_at', 'is', null)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('message_files as mf')
              .innerJoin('messages as m', (j) => j.onRef('m.id', '=', 'mf.message_id').onRef('m.conversation_id', '=', 'mf.conversation_id'))
              .innerJoin('members as mb', 'mb.conversation_id', 'mf.conversation_id')
              .select(sql.lit(1).as('x'))
              .whereRef('mf.file_id', '=', 'files.id')
              .where('m.deleted_at', 'is', null)
              .where('mb.deleted_at', 'is', null)
              .where('mb.user_id', '!=', userId),
          ),
        ),
      )
      .execute();
    const rows = await this.db.kysely
      .selectFrom('files as f')
      .select('f.location')
      .distinct()
      .where('f.uploader_id', '=', userId)
      .where('f.deleted_at', 'is not', null)
      .where((eb) =>
        eb.not(eb.exists(eb.selectFrom('files as o').select(sql.lit(1).as('y')).whereRef('o.location', '=', 'f.location').where('o.deleted_at', 'is', null))),
      )
      .execute();
    return rows.map((r) => r.location);
  }

  /** Account deletion, second half: the erased rows of `userId` and their metadata (thumbnails) are deleted. */
  async purgeErased(userId: string): Promise<void> {
    await this.db.kysely.deleteFrom('files').where('uploader_id', '=', userId).where('deleted_at', 'is not', null).execute();
  }

  /**
   * Takes over pending files untouched since `staleBefore` (left by a crash or
   * a dead node). Claiming bumps updated_at under the same condition, so of
   * several nodes sweeping at once exactly one gets each file.
   */
  async claimStalePending(staleBefore: Date, limit: number): Promise<FileRecord[]> {
    const rows = await this.db.kysely
      .selectFrom('files')
      .selectAll()
      .where('status', '=', 'pending')
      .where('deleted_at', 'is', null)
      .where('updated_at', '<', staleBefore)
      .orderBy('updated_at')
      .limit(limit)
      .execute();
    const claimed: FileRecord[] = [];
    for (const row of rows) {
      const r = await this.db.kysely
        .updateTable('files')
        .set({ updated_at: new Date() })
        .where('id', '=', row.id)
        .where('status', '=', 'pending')
        .where('updated_at', '<', staleBefore)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 1) claimed.push(this.#file(row));
    }
    return claimed;
  }
}
