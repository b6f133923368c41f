import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';

export type LimiterFactory = (keyPrefix: string, points: number, durationSec: number) => RateLimiterAbstract;

export const memoryLimiters: LimiterFactory = (keyPrefix, points, duration) => new RateLimiterMemory({ keyPrefix, points, duration });

/**
 * Password checks per account name and per client address, sign-ups per address
 * (DEFECTS 2, §12 item 15). `perMinute` 0 turns throttling off (load tests).
 * Backed by memory on one node and by Redis in a cluster (same factory shape).
 *
 * Every password check (login, the current password of `acc me`) is counted
 * before it runs, in the limiter's own atomic consume, so checks arriving
 * together cannot outrun the limit; a correct password gives its point back.
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

  /**
   * Counts one password check for the account `name` from `address`; false
   * when either is over its budget (the password must then not be checked).
   */
  async passwordCheckAllowed(name: string, address: string): Promise<boolean> {
    if (!this.#byName || !this.#byAddress) return true;
    const [n, a] = await Promise.all([take(this.#byName, name), take(this.#byAddress, address)]);
    if (n && a) return true;
    // Refused without a check: the key that still had room does not pay for it.
    await Promise.all([n ? refund(this.#byName, name) : null, a ? refund(this.#byAddress, address) : null]);
    return false;
  }

  /** The password was right: the check counted by `passwordCheckAllowed` is given back. */
  async passwordCorrect(name: string, address: string): Promise<void> {
    if (!this.#byName || !this.#byAddress) return;
    await Promise.all([refund(this.#byName, name), refund(this.#byAddress, address)]);
  }

  /** Counts one sign-up attempt; false when the address is over its budget. */
  async signupAllowed(address: string): Promise<boolean> {
    return this.#signups ? take(this.#signups, address) : true;
  }
}

/** One atomic increment-and-compare: false when the key was already at its limit. */
async function take(limiter: RateLimiterAbstract, key: string): Promise<boolean> {
  try {
    await limiter.consume(key);
    return true;
  } catch (res) {
    if (res instanceof Error) throw res; // a backend failure, not "over the limit"
    return false;
  }
}

async function refund(limiter: RateLimiterAbstract, key: string): Promise<void> {
  await limiter.reward(key, 1);
}
