import type { Codec } from './codec.js';
import { asHead, type MessageHead } from '../protocol/message-head.js';

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

/** A `messages` row as a record. */
export function messageFromRow(c: Codec, row: Record<string, any>): MessageRecord {
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

/** The stored form of a head: NULL when empty. */
export function headJson(c: Codec, head: MessageHead): string | null {
  return Object.keys(head).length > 0 ? c.toJson(head) : null;
}

/** A message about to be stored by a send. */
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
