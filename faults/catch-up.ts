import type { MvchatClient } from '../client/index.js';
import { tokenOf, type Ledger } from './ledger.js';

const PAGE = 100;

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
 * or at the end of a round: for each conversation, every message after its
 * `contiguous` mark, read with `get {what:"messages", conv, after}` (oldest
 * first) page by page until a short page. History is the truth, so the mark
 * then moves to the last seq read. Returns how many messages were new.
 *
 * When `get {what:"sync", since}` exists this becomes one loop over its pages
 * (`params.events` are frames like the live ones, `cursor` is kept on the
 * ledger next to the per-conversation state, `more` says whether to go on).
 */
export async function catchUp(conn: MvchatClient, ledger: Ledger, convs: Iterable<string> = [...ledger.convs.keys()]): Promise<number> {
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
