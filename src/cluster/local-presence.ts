import type { Presence } from './presence.js';

/** One-process presence: a session count per user. */
export class LocalPresence implements Presence {
  readonly #counts = new Map<string, number>();

  async connect(userId: string): Promise<boolean> {
    const n = (this.#counts.get(userId) ?? 0) + 1;
    this.#counts.set(userId, n);
    return n === 1;
  }

  async disconnect(userId: string): Promise<boolean> {
    const n = (this.#counts.get(userId) ?? 0) - 1;
    if (n > 0) {
      this.#counts.set(userId, n);
      return false;
    }
    const wasOnline = this.#counts.delete(userId);
    return wasOnline;
  }

  async online(userIds: readonly string[]): Promise<Set<string>> {
    return new Set(userIds.filter((u) => this.#counts.has(u)));
  }

  async close(): Promise<void> {
    this.#counts.clear();
  }
}
