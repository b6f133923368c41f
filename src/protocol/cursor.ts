/**
 * Sync cursors (mvchat addition): opaque to clients. Today a cursor is the
 * position of an event in the sync log, two decimal numbers (stamp and
 * position, see store/migrations/012); clients only store one and send it
 * back, so its form may change.
 */
export interface CursorPosition {
  stamp: number;
  pos: number;
}

export function formatCursor(p: CursorPosition): string {
  return `${p.stamp}.${p.pos}`;
}

const CURSOR = /^(0|[1-9][0-9]{0,15})\.(0|[1-9][0-9]{0,15})$/;

/** The position a cursor names, or null for anything that is not one of ours. */
export function parseCursor(raw: unknown): CursorPosition | null {
  const m = typeof raw === 'string' ? CURSOR.exec(raw) : null;
  if (!m) return null;
  const stamp = Number(m[1]);
  const pos = Number(m[2]);
  return Number.isSafeInteger(stamp) && Number.isSafeInteger(pos) ? { stamp, pos } : null;
}
