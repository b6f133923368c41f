import { presFrame } from '../protocol/frames.js';
import { formatTs } from '../protocol/time.js';
import type { Bus } from '../cluster/bus.js';
import type { Stores } from '../store/stores.js';

/** Tells a user's presence subscribers (PROTOCOL §4.3) when they come online or go offline. */
export class PresenceNotifier {
  constructor(
    private readonly stores: Stores,
    private readonly bus: Bus,
  ) {}

  async online(userId: string): Promise<void> {
    const subs = await this.stores.presence.subscribers(userId);
    if (subs.length > 0) this.bus.publish(subs, presFrame({ user: userId, what: 'on' }), { droppable: true });
  }

  async offline(userId: string, at = new Date()): Promise<void> {
    await this.stores.accounts.recordOffline(userId, at);
    const subs = await this.stores.presence.subscribers(userId);
    if (subs.length > 0) this.bus.publish(subs, presFrame({ user: userId, what: 'off', lastSeen: formatTs(at) }), { droppable: true });
  }
}
