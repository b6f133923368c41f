import type { ClientStats } from './client-stats.js';

/** How a message reached this client. */
export type Source = 'live' | 'catch-up' | 'own';

/**
 * One conversation as one client knows it: every seq seen with the token its
 * content carries, and `contiguous`, the seq up to which nothing is missing
 * (a gap above it sends the client to catch up).
 */
export class ConvLedger {
  contiguous = 0;
  readonly seen = new Map<number, string>();
  /** How each seq first arrived. */
  readonly via = new Map<number, Source>();
  readonly tokens = new Map<string, number>();

  get highest(): number {
    let max = this.contiguous;
    for (const seq of this.seen.keys()) if (seq > max) max = seq;
    return max;
  }

  /** True when some seq above `contiguous` was seen while one below it was not. */
  get hasGap(): boolean {
    return this.highest > this.contiguous;
  }

  advanceTo(seq: number): void {
    if (seq > this.contiguous) this.contiguous = seq;
    while (this.seen.has(this.contiguous + 1)) this.contiguous++;
  }
}

/**
 * Everything one client received or sent, per conversation. Delivery is
 * deduplicated by seq; what dedup must never meet is counted as a duplicate:
 * a token stored at two seqs, or one seq carrying two different tokens.
 */
export class Ledger {
  readonly convs = new Map<string, ConvLedger>();
  /** The cursor of the last `get sync` answer: where the next catch-up starts (never a live frame's: one of those can be lost while later ones arrive). */
  cursor: string | undefined;

  constructor(private stats: () => ClientStats) {}

  conv(id: string): ConvLedger {
    let c = this.convs.get(id);
    if (!c) this.convs.set(id, (c = new ConvLedger()));
    return c;
  }

  /** Records `token` at `seq`; returns false when that seq was known already. */
  record(convId: string, seq: number, token: string, source: Source): boolean {
    const c = this.conv(convId);
    const stats = this.stats();
    const known = c.seen.get(seq);
    if (known !== undefined) {
      if (known !== token) stats.seqWithTwoTokens++;
      return false;
    }
    const other = c.tokens.get(token);
    if (other !== undefined && other !== seq) stats.tokenAtTwoSeqs++;
    c.seen.set(seq, token);
    c.via.set(seq, source);
    c.tokens.set(token, seq);
    if (seq === c.contiguous + 1) c.advanceTo(seq);
    return true;
  }
}

/** The token a message's content carries: the first word of its text. */
export function tokenOf(content: unknown): string {
  const text = typeof content === 'object' && content !== null ? (content as { text?: unknown }).text : content;
  return typeof text === 'string' ? (text.split(' ', 1)[0] ?? '') : `?${JSON.stringify(content)?.slice(0, 40)}`;
}
