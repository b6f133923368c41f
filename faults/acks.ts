import type { FaultClient } from './fault-client.js';

export interface AckedMessage {
  token: string;
  conv: string;
  seq: number;
  from: FaultClient;
  /** Sends it took (more than one: retried with the same nonce). */
  attempts: number;
}

/**
 * The senders' side of a round: every message sent, which were acknowledged
 * (a 2xx ctrl) at which seq, and what acknowledgements must never show: one
 * token acknowledged at two seqs, or two tokens at one seq.
 */
export class AckBook {
  readonly acked = new Map<string, AckedMessage>();
  readonly #bySeq = new Map<string, string>();
  sent = 0;
  /** Given up without an acknowledgement (each try refused, timed out or cut off). */
  unacked = 0;
  conflicts = 0;

  ack(m: AckedMessage): void {
    const before = this.acked.get(m.token);
    if (before && before.seq !== m.seq) this.conflicts++;
    const key = `${m.conv}#${m.seq}`;
    const other = this.#bySeq.get(key);
    if (other !== undefined && other !== m.token) this.conflicts++;
    this.#bySeq.set(key, m.token);
    this.acked.set(m.token, m);
  }

  get retriedAcks(): number {
    let n = 0;
    for (const m of this.acked.values()) if (m.attempts > 1) n++;
    return n;
  }
}
