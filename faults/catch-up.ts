import { catchUp as syncCatchUp, SyncError, type MvchatClient } from '../client/index.js';
import { tokenOf, type Ledger } from './ledger.js';

const PAGE = 100;
const SYNC_PAGE = 500;

/** The server refused a catch-up request (503 while PostgreSQL is down, ...); what was read before stays recorded. */
export class CatchUpRefused extends Error {
  constructor(
    readonly code: number,
    text: string,
  ) {
    super(`catch-up refused: ${code} ${text}`);
  }
}

interface HistoryItem {
  seq: number;
  content?: string;
}

/**
 * The one place a client catches up after a reconnect, a gap in live frames,
 * or at the end of a round, as docs/delivery.md tells clients to: one
 * `get sync` from the cursor of its last sync (pages until `more` is false)
 * across all its conversations; the answer's cursor is where the next one
 * starts. The first time (no cursor yet), and after a `gap`, it takes a
 * cursor first and then reads each conversation's history after its
 * `contiguous` mark, so nothing falls between the two. Returns how many
 * messages were new.
 */
export async function catchUp(conn: MvchatClient, ledger: Ledger, convs: Iterable<string> = [...ledger.convs.keys()]): Promise<number> {
  let added = 0;
  try {
    if (ledger.cursor === undefined) {
      const start = await syncCatchUp(conn, undefined);
      added += await fromHistory(conn, ledger, convs);
      ledger.cursor = start.cursor;
      return added;
    }
    const r = await syncCatchUp(conn, ledger.cursor, { limit: SYNC_PAGE });
    for (const frame of r.events) {
      const d = frame.data;
      if (d && ledger.record(d.conv, d.seq, tokenOf(d.content), 'catch-up')) added++;
    }
    if (r.gap) added += await fromHistory(conn, ledger, ledger.convs.keys());
    ledger.cursor = r.cursor;
    return added;
  } catch (err) {
    if (err instanceof SyncError) throw new CatchUpRefused(err.code, err.text);
    throw err;
  }
}

/** Every message after each conversation's `contiguous` mark, from history (oldest first). */
async function fromHistory(conn: MvchatClient, ledger: Ledger, convs: Iterable<string>): Promise<number> {
  let added = 0;
  for (const conv of convs) {
    const state = ledger.conv(conv);
    for (;;) {
      const r = await conn.request('get', { what: 'messages', conv, after: state.contiguous, limit: PAGE });
      if (r.code !== 200) throw new CatchUpRefused(r.code, r.text);
      const page = (r.params?.messages ?? []) as HistoryItem[];
      for (const m of page) {
        const content = m.content === undefined ? undefined : JSON.parse(Buffer.from(m.content, 'base64').toString('utf8'));
        if (ledger.record(conv, m.seq, tokenOf(content), 'catch-up')) added++;
      }
      const last = page.at(-1);
      if (last) state.advanceTo(last.seq);
      if (page.length < PAGE) break;
    }
  }
  return added;
}
