import type { Logger } from '../logger.js';

type Slot = { kind: 'reserved'; since: number } | { kind: 'ready'; deliver: () => Promise<void> } | { kind: 'skip' };

interface Queue {
  /** Lowest seq not yet handed to delivery (or skipped). */
  next: number;
  slots: Map<number, Slot>;
  /** Deliveries run one after another, so an async fan-out cannot overtake the previous one. */
  chain: Promise<void>;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Puts a conversation's `data` frames back into seq order before they are
 * published: when senders race, seq N+1 may commit and reach this point
 * before seq N. A seq is reserved inside the sending transaction (seqs of a
 * conversation are allocated, and so reserved, in order on this node) and
 * released when its transaction commits (`ready`) or fails (`cancel`).
 * A seq never reserved here was allocated by another node and is not waited
 * for. A reserved seq that is not released within `holdMs` stops holding the
 * others back, so one stuck send cannot stall a conversation; if it arrives
 * later it is delivered at once.
 */
export class OrderedPublisher {
  readonly #queues = new Map<string, Queue>();

  constructor(
    private readonly log: Logger,
    private readonly holdMs = 2000,
  ) {}

  reserve(conv: string, seq: number): void {
    let q = this.#queues.get(conv);
    if (!q) {
      q = { next: seq, slots: new Map(), chain: Promise.resolve(), timer: undefined };
      this.#queues.set(conv, q);
    }
    if (seq < q.next) return;
    if (q.slots.size === 0 && seq > q.next) q.next = seq;
    for (let s = q.next; s < seq; s++) if (!q.slots.has(s)) q.slots.set(s, { kind: 'skip' });
    q.slots.set(seq, { kind: 'reserved', since: Date.now() });
  }

  /** The seq's transaction committed: deliver in order. */
  ready(conv: string, seq: number, deliver: () => Promise<void>): void {
    const q = this.#queues.get(conv);
    if (!q || seq < q.next || !q.slots.has(seq)) {
      // Not reserved, or given up on after holdMs: nothing to wait for.
      this.#enqueue(conv, q, deliver);
      return;
    }
    q.slots.set(seq, { kind: 'ready', deliver });
    this.#flush(conv, q);
  }

  /** The seq's transaction rolled back: the seq will be allocated again, so stop waiting for it. */
  cancel(conv: string, seq: number): void {
    const q = this.#queues.get(conv);
    if (!q || !q.slots.has(seq)) return;
    q.slots.delete(seq);
    if ([...q.slots.keys()].some((s) => s > seq)) q.slots.set(seq, { kind: 'skip' });
    this.#flush(conv, q);
  }

  #flush(conv: string, q: Queue): void {
    for (let slot = q.slots.get(q.next); slot && slot.kind !== 'reserved'; slot = q.slots.get(q.next)) {
      q.slots.delete(q.next);
      q.next++;
      if (slot.kind === 'ready') this.#enqueue(conv, q, slot.deliver);
    }
    clearTimeout(q.timer);
    q.timer = undefined;
    const head = q.slots.get(q.next);
    if (head?.kind === 'reserved') {
      q.timer = setTimeout(() => this.#giveUp(conv, q), Math.max(0, head.since + this.holdMs - Date.now()));
      q.timer.unref();
    } else if (q.slots.size === 0) {
      this.#forgetWhenIdle(conv, q);
    }
  }

  #giveUp(conv: string, q: Queue): void {
    q.timer = undefined;
    const head = q.slots.get(q.next);
    if (head?.kind !== 'reserved') return;
    this.log.warn({ conv, seq: q.next }, 'message not released in time; publishing later messages without it');
    q.slots.set(q.next, { kind: 'skip' });
    this.#flush(conv, q);
  }

  #enqueue(conv: string, q: Queue | undefined, deliver: () => Promise<void>): void {
    const run = () => deliver().catch((err: unknown) => this.log.error({ err, conv }, 'message fan-out failed'));
    if (q) q.chain = q.chain.then(run);
    else void run();
  }

  /** Drops the queue once nothing is pending and its last delivery finished. */
  #forgetWhenIdle(conv: string, q: Queue): void {
    const chain = q.chain;
    void chain.then(() => {
      if (q.chain === chain && q.slots.size === 0 && this.#queues.get(conv) === q) this.#queues.delete(conv);
    });
  }
}
