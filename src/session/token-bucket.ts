/** Token bucket: `rate` tokens per second, holding at most `burst`. */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.#tokens = burst;
    this.#last = this.now();
  }

  #refill(): void {
    const t = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((t - this.#last) / 1000) * this.rate);
    this.#last = t;
  }

  /** Takes `n` tokens if available. */
  take(n = 1): boolean {
    this.#refill();
    if (this.#tokens < n) return false;
    this.#tokens -= n;
    return true;
  }

  get full(): boolean {
    this.#refill();
    return this.#tokens >= this.burst;
  }
}

/** At most one event per `intervalMs` per key (typing and receipts per conversation). */
export class KeyedInterval {
  readonly #last = new Map<string, number>();

  constructor(private readonly intervalMs: number) {}

  allow(key: string, now = performance.now()): boolean {
    const prev = this.#last.get(key);
    if (prev !== undefined && now - prev < this.intervalMs) return false;
    if (this.#last.size > 1000) this.#last.clear(); // bounded memory for a session hopping conversations
    this.#last.set(key, now);
    return true;
  }
}

/** A token bucket per key (receipts per conversation), bounded in how many keys it keeps. */
export class KeyedBuckets {
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {}

  take(key: string): boolean {
    let b = this.#buckets.get(key);
    if (!b) {
      if (this.#buckets.size > 1000) this.#buckets.clear();
      this.#buckets.set(key, (b = new TokenBucket(this.rate, this.burst)));
    }
    return b.take(1);
  }
}
