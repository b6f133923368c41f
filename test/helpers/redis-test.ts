import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { RedisKeys } from '../../src/cluster/redis-keys.js';
import { REDIS_URL } from './node-process.js';

/** Redis connections of one test under a random key prefix, so tests never see each other's keys. */
export interface RedisScope {
  readonly prefix: string;
  readonly keys: RedisKeys;
  /** A new connection, closed by `close()`. */
  connection(options?: RedisOptions): Redis;
  /** Deletes every key under the prefix and disconnects every connection. */
  close(): Promise<void>;
}

export function redisScope(url = REDIS_URL): RedisScope {
  if (!url) throw new Error('MVCHAT_TEST_REDIS_URL not set');
  const prefix = `t${randomUUID().slice(0, 8)}:`;
  const conns: Redis[] = [];
  return {
    prefix,
    keys: new RedisKeys(prefix),
    connection(options = {}) {
      const c = new Redis(url, options);
      conns.push(c);
      return c;
    },
    async close() {
      const admin = new Redis(url);
      try {
        const keys = await admin.keys(`${prefix}*`);
        if (keys.length) await admin.del(...keys);
      } finally {
        admin.disconnect();
        for (const c of conns) c.disconnect();
      }
    },
  };
}
