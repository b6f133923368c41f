import type { Transaction } from 'kysely';
import type { Db } from './database.js';
import type { Database } from './schema.js';
import { asHead, type MessageHead } from '../protocol/message-head.js';
import { headJson, messageFromRow } from './message-record.js';
import { replaceRefs } from './message-refs.js';

export type EditOutcome = 'ok' | 'not-found' | 'deleted' | 'max-edits';

/**
 * Changes to stored messages: edits, head changes (reactions), delete for
 * everyone and delete for me. Every read-modify-write of a message runs in
 * one transaction under its row lock (PostgreSQL) or the single SQLite
 * writer, so concurrent changes never overwrite each other.
 */
export class MessageEditStore {
  constructor(private readonly db: Db) {}

  /**
   * Replaces content, bumps `edit_count` and refreshes mentions and file
   * references, all-or-nothing; the count is re-checked under the row lock.
   */
  async edit(
    conversationId: string,
    seq: number,
    change: {
      content: Buffer;
      keyId: number;
      head: (old: MessageHead) => MessageHead;
      maxEdits: number;
      mentions: readonly string[];
      fileRefs: readonly string[];
      at: Date;
    },
  ): Promise<EditOutcome> {
    return this.db.kysely.transaction().execute(async (trx) => {
      const row = await this.#locked(trx, conversationId, seq);
      if (!row) return 'not-found';
      const msg = messageFromRow(this.db.codec, row);
      if (msg.deletedAt !== null) return 'deleted';
      if ((msg.head.edit_count ?? 0) >= change.maxEdits) return 'max-edits';
      await trx
        .updateTable('messages')
        .set({ content: change.content, content_key_id: change.keyId, head: headJson(this.db.codec, change.head(msg.head)), updated_at: change.at })
        .where('id', '=', msg.id)
        .execute();
      await replaceRefs(trx, msg.id, conversationId, change, msg.createdAt);
      return 'ok';
    });
  }

  /** Applies `change` to the head under the row lock; false when the message does not exist. */
  async updateHead(conversationId: string, seq: number, change: (old: MessageHead) => MessageHead, at: Date): Promise<boolean> {
    return this.db.kysely.transaction().execute(async (trx) => {
      const row = await this.#locked(trx, conversationId, seq);
      if (!row) return false;
      const head = change(asHead(this.db.codec.json(row.head)));
      await trx
        .updateTable('messages')
        .set({ head: headJson(this.db.codec, head), updated_at: at })
        .where('id', '=', row.id)
        .execute();
      return true;
    });
  }

  /** Marks a message deleted for everyone (content kept, §5.4); false when it already was. */
  async markDeleted(messageId: string, at: Date, unsent: boolean): Promise<boolean> {
    return this.db.kysely.transaction().execute(async (trx) => {
      const row = await this.#lockedById(trx, messageId);
      if (!row || row.deleted_at !== null) return false;
      const head = asHead(this.db.codec.json(row.head));
      const set = unsent ? { deleted_at: at, updated_at: at, head: headJson(this.db.codec, { ...head, unsent: true }) } : { deleted_at: at, updated_at: at };
      await trx.updateTable('messages').set(set).where('id', '=', messageId).execute();
      return true;
    });
  }

  /** Delete for me; idempotent. */
  async hideFor(messageId: string, userId: string, at: Date): Promise<void> {
    await this.db.kysely
      .insertInto('message_deletions')
      .values({ message_id: messageId, user_id: userId, deleted_at: at })
      .onConflict((oc) => oc.columns(['message_id', 'user_id']).doNothing())
      .execute();
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
