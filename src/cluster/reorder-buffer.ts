import type { DeliveryOptions, LocalDelivery, ReceivedControl } from './bus.js';

/** What the buffer reports: gaps it stopped waiting for and frames it refused because a newer one was out. */
export interface OrderEvents {
  /** Frames of `conv` were handed on without seqs `from`..`to`, which had not arrived within the hold. */
  skipped(conv: string, from: number, to: number): void;
  /** A frame of `conv` at or below the last seq handed on arrived and was dropped. */
  dropped(conv: string, seq: number): void;
  /** Local delivery threw while held frames were handed on from a timer (no caller to throw to). */
  failed?(conv: string, err: unknown): void;
}

export interface ReorderOptions {
  /** Longest a frame waits for a missing lower seq (ms); 0 never waits, only drops frames that come too late. */
  holdMs: number;
  /** A conversation not seen for between one and two of these (ms) is forgotten. */
  idleMs?: number;
  /** Conversations remembered at most (the least recently seen are forgotten first). */
  maxConversations?: number;
  /** Frames held per conversation at most; one more releases the lowest. */
  maxHeld?: number;
  events?: OrderEvents;
}

interface Held {
  readonly seq: number;
  readonly userIds: readonly string[];
  readonly frame: string;
  readonly options: DeliveryOptions;
  /** performance.now() by which it is handed on, whatever is missing. */
  readonly due: number;
}

interface Entry {
  readonly conv: string;
  /** Highest seq handed to local sessions. */
  last: number;
  /** Frames waiting for a lower seq, in seq order; empty nearly always. */
  held: Held[];
  timer: NodeJS.Timeout | undefined;
}

const noEvents: OrderEvents = { skipped: () => {}, dropped: () => {} };

/**
 * Sits in front of a node's local delivery and hands each conversation's
 * ordered frames (those with `options.order`) to local sessions in seq order,
 * wherever they were published: node A may commit seq 5 and node B seq 6,
 * and B's frame may reach this node (or B's own sessions) first.
 *
 * Per conversation it keeps the last seq handed on. The next seq goes
 * straight through (one map lookup); a frame above a gap waits until the gap
 * fills or `holdMs` after its own arrival, then it and the frames after it
 * go on without the missing seqs: a seq may never come (its node died after
 * the commit, the publish failed, or none of its recipients is here), and it
 * must not stall the conversation. A frame at or below the last seq handed
 * on came too late and is dropped, never delivered out of order; its
 * recipients find it in history (`get messages`, sync).
 *
 * A conversation seen for the first time (a node just started, or it was
 * forgotten) starts at the seq of its first frame, without waiting: nothing
 * says anything lower is still on its way. Frames without an order key and
 * control messages pass through untouched.
 *
 * Memory: entries live in two generations; a hit in the older one moves the
 * entry up, and every `idleMs` (or when the young one holds half of
 * `maxConversations`) the older one is dropped. An entry with held frames is
 * always kept.
 */
export class ReorderBuffer implements LocalDelivery {
  #young = new Map<string, Entry>();
  #old = new Map<string, Entry>();
  readonly #holding = new Set<Entry>();
  readonly #rotation: NodeJS.Timeout;
  readonly #holdMs: number;
  readonly #maxYoung: number;
  readonly #maxHeld: number;
  readonly #events: OrderEvents;
  #closed = false;

  constructor(
    private readonly local: LocalDelivery,
    options: ReorderOptions,
  ) {
    this.#holdMs = options.holdMs;
    this.#maxYoung = Math.max(1, Math.floor((options.maxConversations ?? 100_000) / 2));
    this.#maxHeld = options.maxHeld ?? 512;
    this.#events = options.events ?? noEvents;
    this.#rotation = setInterval(() => this.#rotate(), options.idleMs ?? 5 * 60_000);
    this.#rotation.unref();
  }

  deliver(userIds: readonly string[], frame: string, options: DeliveryOptions): void {
    const key = options.order;
    if (!key || this.#closed) {
      this.local.deliver(userIds, frame, options);
      return;
    }
    const { conv, seq } = key;
    let e = this.#young.get(conv);
    if (!e) {
      e = this.#old.get(conv);
      if (e) this.#old.delete(conv);
      else e = { conv, last: seq - 1, held: [], timer: undefined };
      this.#remember(e);
    }
    if (seq <= e.last) this.#events.dropped(conv, seq);
    else if (e.held.length === 0 && (seq === e.last + 1 || this.#holdMs === 0)) {
      if (seq !== e.last + 1) this.#events.skipped(conv, e.last + 1, seq - 1);
      e.last = seq;
      this.local.deliver(userIds, frame, options);
    } else this.#hold(e, { seq, userIds, frame, options, due: performance.now() + this.#holdMs });
  }

  /** Conversations remembered now (diagnostics, tests). */
  get conversations(): number {
    let n = this.#young.size;
    for (const conv of this.#old.keys()) if (!this.#young.has(conv)) n++;
    return n;
  }

  control(userId: string, message: ReceivedControl): void {
    this.local.control(userId, message);
  }

  /** Hands on every held frame at once, in order, and stops the timers; later frames pass through. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#rotation);
    for (const e of this.#holding) {
      clearTimeout(e.timer);
      while (e.held.length > 0) this.#skipToFirst(e);
    }
    this.#holding.clear();
  }

  #remember(e: Entry): void {
    if (this.#young.size >= this.#maxYoung) this.#rotate();
    this.#young.set(e.conv, e);
  }

  #rotate(): void {
    // Held frames are never lost to forgetting: their entries move up.
    for (const e of this.#holding) if (this.#old.get(e.conv) === e) this.#young.set(e.conv, e);
    this.#old = this.#young;
    this.#young = new Map();
  }

  #hold(e: Entry, h: Held): void {
    let i = e.held.length;
    while (i > 0 && e.held[i - 1]!.seq > h.seq) i--;
    if (i > 0 && e.held[i - 1]!.seq === h.seq) {
      this.#events.dropped(e.conv, h.seq);
      return;
    }
    e.held.splice(i, 0, h);
    this.#drain(e);
    while (e.held.length > this.#maxHeld) this.#skipToFirst(e);
    this.#arm(e);
  }

  /** Hands on the held frames that follow the last seq without a gap. */
  #drain(e: Entry): void {
    while (e.held.length > 0 && e.held[0]!.seq === e.last + 1) this.#handOn(e, e.held.shift()!);
  }

  /** Gives up on the gap below the lowest held frame. */
  #skipToFirst(e: Entry): void {
    const first = e.held.shift()!;
    this.#events.skipped(e.conv, e.last + 1, first.seq - 1);
    this.#handOn(e, first);
    this.#drain(e);
  }

  #handOn(e: Entry, h: Held): void {
    e.last = h.seq;
    this.local.deliver(h.userIds, h.frame, h.options);
  }

  #arm(e: Entry): void {
    clearTimeout(e.timer);
    e.timer = undefined;
    if (e.held.length === 0) {
      this.#holding.delete(e);
      return;
    }
    this.#holding.add(e);
    let due = Infinity;
    for (const h of e.held) due = Math.min(due, h.due);
    // The check runs after the next poll phase: a frame already read off the socket (say, the missing one,
    // after this process was busy past the deadline) is taken before the gap is given up on.
    e.timer = setTimeout(() => setImmediate(() => this.#expire(e)), Math.max(0, due - performance.now()));
    e.timer.unref();
  }

  #expire(e: Entry): void {
    if (this.#closed) return;
    // Each frame waits at most holdMs after its own arrival; releasing one releases every lower one first.
    const now = performance.now() + 1;
    try {
      while (e.held.some((h) => h.due <= now)) this.#skipToFirst(e);
    } catch (err) {
      this.#events.failed?.(e.conv, err);
    }
    this.#arm(e);
  }
}
