import { presFrame } from '../protocol/frames.js';
import { formatTs } from '../protocol/time.js';
import type { Bus } from '../cluster/bus.js';
import type { Stores } from '../store/stores.js';
import { PresenceVisibility } from './presence-visibility.js';

/**
 * Tells a user's presence subscribers (PROTOCOL §4.3) when they come online
 * or go offline: those the presence-visibility rule lets see the user, by
 * her blocks and her privacy settings (three queries per change, her
 * subscribers, her blocks, her settings with her contact set; none per
 * subscriber).
 */
export class PresenceNotifier {
  readonly #visibility: PresenceVisibility;

  constructor(
    private readonly stores: Stores,
    private readonly bus: Bus,
  ) {
    this.#visibility = new PresenceVisibility(stores);
  }

  async #audience(userId: string): Promise<string[]> {
    return this.#visibility.audience(userId, await this.stores.presence.subscribers(userId));
  }

  async online(userId: string): Promise<void> {
    const subs = await this.#audience(userId);
    if (subs.length > 0) this.bus.publish(subs, presFrame({ user: userId, what: 'on' }), { droppable: true });
  }

  async offline(userId: string, at = new Date()): Promise<void> {
    await this.stores.accounts.recordOffline(userId, at);
    const subs = await this.#audience(userId);
    if (subs.length > 0) this.bus.publish(subs, presFrame({ user: userId, what: 'off', lastSeen: formatTs(at) }), { droppable: true });
  }
}
