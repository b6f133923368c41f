import type { Redis } from 'ioredis';
import type { Presence } from './presence.js';
import type { RedisKeys } from './redis-keys.js';

// KEYS: presence hash, node-users set. ARGV: node id, this node's session count, user id.
// Returns 1 when the user had no session on any node before (came online).
const CONNECT = `
local before = redis.call('HLEN', KEYS[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
if before == 0 then return 1 end
return 0`;

// Same keys/args. A count of 0 removes this node's field; returns 1 when no node has the user any more.
const DISCONNECT = `
if tonumber(ARGV[2]) > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 0
end
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[3])
if removed == 1 and redis.call('HLEN', KEYS[1]) == 0 then return 1 end
return 0`;

/**
 * Presence across nodes. This node's session counts are kept in memory (the
 * truth for this node) and mirrored into one Redis hash per user; the
 * online/offline decision is made atomically by a script in Redis.
 */
export class RedisPresence implements Presence {
  readonly #local = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly nodeId: string,
  ) {}

  connect(userId: string): Promise<boolean> {
    const n = (this.#local.get(userId) ?? 0) + 1;
    this.#local.set(userId, n);
    return this.#run(CONNECT, userId, n);
  }

  disconnect(userId: string): Promise<boolean> {
    const n = Math.max(0, (this.#local.get(userId) ?? 0) - 1);
    if (n === 0) this.#local.delete(userId);
    else this.#local.set(userId, n);
    return this.#run(DISCONNECT, userId, n);
  }

  async #run(script: string, userId: string, count: number): Promise<boolean> {
    const r = await this.redis.eval(script, 2, this.keys.presence(userId), this.keys.nodeUsers(this.nodeId), this.nodeId, count, userId);
    return r === 1;
  }

  /** While Redis is unreachable this degrades to what this node knows (its own users). */
  async online(userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    try {
      const pipe = this.redis.pipeline();
      for (const u of userIds) pipe.exists(this.keys.presence(u));
      const results = (await pipe.exec()) ?? [];
      return new Set(userIds.filter((_, i) => results[i]?.[1] === 1));
    } catch {
      return new Set(userIds.filter((u) => this.#local.has(u)));
    }
  }

  /** Nodes hosting each user (for routing frames). */
  async nodesOf(userIds: readonly string[]): Promise<string[][]> {
    const pipe = this.redis.pipeline();
    for (const u of userIds) pipe.hkeys(this.keys.presence(u));
    const results = (await pipe.exec()) ?? [];
    return userIds.map((_, i) => {
      const r = results[i];
      if (r?.[0]) throw r[0];
      return (r?.[1] as string[] | undefined) ?? [];
    });
  }

  /** Writes this node's whole state again (after Redis restarted and lost it). */
  async resync(): Promise<void> {
    const pipe = this.redis.pipeline();
    for (const [userId, n] of this.#local) {
      pipe.hset(this.keys.presence(userId), this.nodeId, n);
      pipe.sadd(this.keys.nodeUsers(this.nodeId), userId);
    }
    await pipe.exec();
  }

  /**
   * Removes a node's fields from every user it hosted; returns the users who
   * are now offline everywhere (the caller tells their subscribers).
   */
  async removeNode(nodeId: string): Promise<string[]> {
    const users = await this.redis.smembers(this.keys.nodeUsers(nodeId));
    const offline: string[] = [];
    for (const userId of users) {
      const r = await this.redis.eval(DISCONNECT, 2, this.keys.presence(userId), this.keys.nodeUsers(nodeId), nodeId, 0, userId);
      if (r === 1) offline.push(userId);
    }
    await this.redis.del(this.keys.nodeUsers(nodeId));
    return offline;
  }

  async close(): Promise<void> {
    this.#local.clear();
  }
}
