import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';

export type LimiterFactory = (keyPrefix: string, points: number, durationSec: number) => RateLimiterAbstract;

export const memoryLimiters: LimiterFactory = (keyPrefix, points, duration) => new RateLimiterMemory({ keyPrefix, points, duration });

/**
 * Failed logins per account name and per client address, sign-ups per address
 * (DEFECTS 2, §12 item 15). `perMinute` 0 turns throttling off (load tests).
 * Backed by memory on one node and by Redis in a cluster (same factory shape).
 */
export class AuthThrottle {
  readonly #byName?: RateLimiterAbstract;
  readonly #byAddress?: RateLimiterAbstract;
  readonly #signups?: RateLimiterAbstract;

  constructor(perMinute: number, make: LimiterFactory = memoryLimiters) {
    if (perMinute <= 0) return;
    this.#byName = make('login-name', perMinute, 60);
    // An address may hold many accounts (NAT), so it gets more room than one name.
    this.#byAddress = make('login-addr', perMinute * 5, 60);
    this.#signups = make('signup-addr', perMinute, 60);
  }

  /** False when either key has used up its failed attempts. */
  async loginAllowed(name: string, address: string): Promise<boolean> {
    if (!this.#byName || !this.#byAddress) return true;
    const [n, a] = await Promise.all([this.#byName.get(name), this.#byAddress.get(address)]);
    return !(exhausted(n, this.#byName.points) || exhausted(a, this.#byAddress.points));
  }

  async loginFailed(name: string, address: string): Promise<void> {
    await Promise.all([consume(this.#byName, name), consume(this.#byAddress, address)]);
  }

  async loginSucceeded(name: string): Promise<void> {
    await this.#byName?.delete(name);
  }

  /** Counts one sign-up attempt; false when the address is over its budget. */
  async signupAllowed(address: string): Promise<boolean> {
    if (!this.#signups) return true;
    try {
      await this.#signups.consume(address);
      return true;
    } catch (res) {
      if (res instanceof Error) throw res;
      return false;
    }
  }
}

function exhausted(res: { consumedPoints: number } | null, points: number): boolean {
  return res !== null && res.consumedPoints >= points;
}

async function consume(limiter: RateLimiterAbstract | undefined, key: string): Promise<void> {
  if (!limiter) return;
  try {
    await limiter.consume(key);
  } catch (res) {
    if (res instanceof Error) throw res; // a backend failure, not "over the limit"
  }
}
