import { AckBook } from './acks.js';
import type { FaultClient, SendResult } from './fault-client.js';
import type { World } from './world.js';

export interface TrafficPlan {
  /** Pause between one sender's messages. */
  intervalMs: number;
  /** Tries per message: the first send and retries with the same nonce after a refusal (5xx), a timeout or a cut connection. */
  attempts: number;
}

interface Outgoing {
  token: string;
  conv: string;
  text: string;
  attempts: number;
  /** Not retried before this time. */
  due: number;
}

/** Wait before the next try of a message: 250 ms, doubling up to 4 s (6 tries span about 8 s). */
const backOff = (attempts: number) => Math.min(250 * 2 ** (attempts - 1), 4000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const retryable = (r: SendResult) => r.kind === 'closed' || r.kind === 'timeout' || (r.kind === 'refused' && r.code >= 500);

/**
 * The load of one round: every sender, one request at a time, sends into its
 * room and DMs in turn. A message is never resent blindly: a retry carries
 * the same nonce, so the server answers it with the first seq if it had
 * stored it; retries are counted apart (`retriedAcks`).
 */
export class Traffic {
  readonly acks = new AckBook();
  #running = false;
  #drainUntil = 0;
  #loops: Promise<void>[] = [];

  constructor(
    private readonly world: World,
    private readonly plan: TrafficPlan,
  ) {}

  start(): void {
    this.#running = true;
    this.#loops = this.world.senders.map((c, i) => this.#loop(c, i));
  }

  /** No new messages; retries go on until `drainMs` from now, then whatever is left counts as unacknowledged. */
  async stop(drainMs: number): Promise<void> {
    this.#running = false;
    this.#drainUntil = Date.now() + drainMs;
    await Promise.all(this.#loops);
  }

  /** Big messages from `client` into `conv`, back to back, while `go()` says so (at most `max`). */
  async flood(client: FaultClient, conv: string, padBytes: number, max: number, go: () => boolean): Promise<number> {
    const pad = 'x'.repeat(padBytes);
    const failed: Outgoing[] = [];
    let n = 0;
    for (; n < max && go(); n++) await this.#deliver(client, this.#message(client, conv, pad), failed);
    this.acks.unacked += failed.length;
    return n;
  }

  async #loop(client: FaultClient, index: number): Promise<void> {
    const convs = this.world.convsOf.get(client) ?? [];
    const retries: Outgoing[] = [];
    // Senders start spread over one interval rather than all at once.
    await sleep((this.plan.intervalMs * index) / Math.max(1, this.world.senders.length));
    for (let turn = 0; ; turn++) {
      const draining = !this.#running;
      if (draining && (retries.length === 0 || Date.now() > this.#drainUntil)) break;
      const due = retries.findIndex((m) => m.due <= Date.now());
      const next = due >= 0 ? retries.splice(due, 1)[0] : draining ? undefined : this.#message(client, convs[turn % convs.length]!, '');
      if (next) await this.#deliver(client, next, retries);
      await sleep(this.plan.intervalMs);
    }
    this.acks.unacked += retries.length;
  }

  #message(client: FaultClient, conv: string, pad: string): Outgoing {
    const token = client.nextToken();
    this.acks.sent++;
    return { token, conv, text: pad ? `${token} ${pad}` : token, attempts: 0, due: 0 };
  }

  async #deliver(client: FaultClient, m: Outgoing, retries: Outgoing[]): Promise<void> {
    m.attempts++;
    const r = await client.send(m.conv, m.text, m.token);
    if (r.kind === 'acked') this.acks.ack({ token: m.token, conv: m.conv, seq: r.seq, from: client, attempts: m.attempts });
    else if (retryable(r) && m.attempts < this.plan.attempts) {
      m.due = Date.now() + backOff(m.attempts);
      retries.push(m);
    } else this.acks.unacked++;
  }
}
