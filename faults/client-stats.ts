/** What one client saw during one round; reset at the start of each round. */
export class ClientStats {
  /** Error ctrl codes answered to any request, by code. */
  readonly errorCodes = new Map<number, number>();
  /** Socket closes the client did not ask for, by close code. */
  readonly closes = new Map<number, number>();
  /** Requests that got no answer in time. */
  timeouts = 0;
  /** Duplicates (see Ledger): one token at two seqs, one seq with two tokens, one live frame twice on one socket. */
  tokenAtTwoSeqs = 0;
  seqWithTwoTokens = 0;
  liveRepeats = 0;

  errorCode(code: number): void {
    this.errorCodes.set(code, (this.errorCodes.get(code) ?? 0) + 1);
  }

  closed(code: number): void {
    this.closes.set(code, (this.closes.get(code) ?? 0) + 1);
  }

  get duplicates(): number {
    return this.tokenAtTwoSeqs + this.seqWithTwoTokens + this.liveRepeats;
  }
}

/** Sums of many clients' stats. */
export function addStats(all: readonly ClientStats[]): ClientStats {
  const sum = new ClientStats();
  for (const s of all) {
    for (const [code, n] of s.errorCodes) sum.errorCodes.set(code, (sum.errorCodes.get(code) ?? 0) + n);
    for (const [code, n] of s.closes) sum.closes.set(code, (sum.closes.get(code) ?? 0) + n);
    sum.timeouts += s.timeouts;
    sum.tokenAtTwoSeqs += s.tokenAtTwoSeqs;
    sum.seqWithTwoTokens += s.seqWithTwoTokens;
    sum.liveRepeats += s.liveRepeats;
  }
  return sum;
}
