import type { ContentCipher } from '../../crypto/content-cipher.js';
import { formatTs } from '../../protocol/time.js';
import type { MessageRecord } from '../../store/message-record.js';

/**
 * History content (§3.8.3, [compat]): base64 of the JSON text the sender
 * supplied; when it does not decrypt (rows written without encryption, or a
 * retired key), base64 of the stored bytes as they are.
 */
export function historyContent(cipher: ContentCipher, m: MessageRecord): string {
  if (!m.content) return '';
  return (cipher.decrypt(m.content, m.keyId) ?? m.content).toString('base64');
}

/** One item of `get messages`. */
export function historyItem(cipher: ContentCipher, m: MessageRecord): Record<string, unknown> {
  const item: Record<string, unknown> = { seq: m.seq, from: m.from, ts: formatTs(m.createdAt) };
  if (m.deletedAt !== null) item.deleted = true;
  else item.content = historyContent(cipher, m);
  if (Object.keys(m.head).length > 0) item.head = m.head;
  if (m.viewOnce) item.viewOnce = true;
  return item;
}

/** One item of `get mentions` (§3.8.8). */
export function mentionItem(cipher: ContentCipher, m: MessageRecord): Record<string, unknown> {
  return { conv: m.conversationId, seq: m.seq, from: m.from, ts: formatTs(m.createdAt), content: historyContent(cipher, m), head: m.head };
}
