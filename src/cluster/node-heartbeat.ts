import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisPresence } from './redis-presence.js';

/** How long the mark of a removed node is kept for it to find, should it come back. */
const REMOVED_MARK_MS = 24 * 3600_000;

/**
 * Keeps this node's alive key fresh and cleans up after nodes whose key
 * expired: their users' sessions are removed from presence and, for users
 * with no session left anywhere, `onOffline` sends "off" — within the
 * presence TTL of the node's death. A node that was only cut off from Redis
 * that long finds the mark of its removal on its next beat, and its
 * presence writes its users again (telling "on" for them).
 */
export class NodeHeartbeat {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly nodeId: string,
    private readonly presence: RedisPresence,
    private readonly ttlMs: number,
    private readonly log: Logger,
  ) {}

  /** How often `beat` and `sweep` should run: five times per TTL. */
  get periodMs(): number {
    return Math.max(50, Math.floor(this.ttlMs / 5));
  }

  get ttl(): number {
    return this.ttlMs;
  }

  /** Registers the node; a previous life under the same id is cleaned up first. */
  async start(onOffline: (userIds: string[]) => Promise<void>): Promise<void> {
    await onOffline(await this.presence.removeNode(this.nodeId));
    await this.redis.del(this.keys.removed(this.nodeId));
    await this.beat();
  }

  async beat(): Promise<void> {
    const results = await this.redis
      .multi()
      .sadd(this.keys.nodes, this.nodeId)
      .set(this.keys.alive(this.nodeId), String(Date.now()), 'PX', Math.floor(this.ttlMs * 0.6))
      .exists(this.keys.removed(this.nodeId))
      .exec();
    if (results?.[2]?.[1] === 1) {
      this.log.warn({ node: this.nodeId }, 'this node was taken for dead and removed from presence; writing its users again');
      this.presence.removedFromCluster();
      await this.redis.del(this.keys.removed(this.nodeId));
    }
  }

  async sweep(onOffline: (userIds: string[]) => Promise<void>): Promise<void> {
    const nodes = await this.redis.smembers(this.keys.nodes);
    for (const node of nodes) {
      if (node === this.nodeId || (await this.redis.exists(this.keys.alive(node))) === 1) continue;
      // One survivor cleans up; the lock outlives the work so nobody repeats it.
      const won = await this.redis.set(this.keys.cleanup(node), this.nodeId, 'PX', this.ttlMs * 2, 'NX');
      if (won !== 'OK') continue;
      const offline = await this.presence.removeNode(node);
      await this.redis.multi().srem(this.keys.nodes, node).set(this.keys.removed(node), this.nodeId, 'PX', REMOVED_MARK_MS).exec();
      this.log.warn({ deadNode: node, usersOffline: offline.length }, 'node stopped beating; its users were marked offline');
      await onOffline(offline);
    }
  }

  /** Graceful stop: the node leaves the registry at once. */
  async stop(): Promise<void> {
    await this.redis.multi().srem(this.keys.nodes, this.nodeId).del(this.keys.alive(this.nodeId)).exec();
  }
}
