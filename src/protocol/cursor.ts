/**
 * Sync cursors (mvchat addition): opaque to clients. Today a cursor is the
 * decimal position of an event in the sync log; clients only store one and
 * send it back, so its form may change.
 */
export function formatCursor(pos: number): string {
  return String(pos);
}

/** The position a cursor names, or null for anything that is not one of ours. */
export function parseCursor(raw: unknown): number | null {
  if (typeof raw !== 'string' || !/^(0|[1-9][0-9]{0,14})$/.test(raw)) return null;
  return Number(raw);
}
