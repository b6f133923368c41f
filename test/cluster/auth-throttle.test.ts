import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthThrottle, memoryLimiters, type LimiterFactory } from '../../src/runtime/auth-throttle.js';
import { redisLimiters } from '../../src/wiring/cluster.js';
import { REDIS_URL } from '../helpers/node-process.js';
import { redisScope } from '../helpers/redis-test.js';

interface Store {
  name: string;
  make(): Promise<{ limiters: LimiterFactory; count(prefix: string, key: string): Promise<number | null>; close(): Promise<void> }>;
}

const stores: Store[] = [
  {
    name: 'memory',
    async make() {
      return { limiters: memoryLimiters, count: async () => null, close: async () => {} };
    },
  },
];
if (REDIS_URL) {
  stores.push({
    name: 'redis',
    async make() {
      const scope = redisScope();
      const client = scope.connection();
      await client.ping(); // ready, so the limiters use Redis and not their in-memory insurance
      assert.equal(client.status, 'ready');
      return {
        limiters: redisLimiters(client, scope.prefix),
        count: async (prefix, key) => Number(await client.get(`${scope.prefix}rl:${prefix}:${key}`)),
        close: () => scope.close(),
      };
    },
  });
}

for (const store of stores) {
  test(`[${store.name}] password checks arriving together never outrun the limit`, async () => {
    const { limiters, count, close } = await store.make();
    try {
      // In Redis two nodes share the counters, each with its own throttle; memory is one node's own.
      const one = new AuthThrottle(10, limiters);
      const nodes = store.name === 'redis' ? [one, new AuthThrottle(10, limiters)] : [one, one];
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => nodes[i % 2]!.passwordCheckAllowed('victim', '192.0.2.1')));
      assert.equal(results.filter(Boolean).length, 10);
      const n = await count('login-name', 'victim');
      if (n !== null) assert.equal(n, 30, 'the counter lives in Redis');
      // A correct password gives its own point back, and only that one: the guesses still count.
      await nodes[0]!.passwordCorrect('victim', '192.0.2.1');
      assert.equal(await nodes[1]!.passwordCheckAllowed('victim', '192.0.2.1'), false);
      // Another account from the same address is not refused for this account's budget.
      assert.equal(await nodes[1]!.passwordCheckAllowed('someone-else', '192.0.2.1'), true);
    } finally {
      await close();
    }
  });

  test(`[${store.name}] password checks per address stop at five times the per-name limit, across names`, async () => {
    const { limiters, close } = await store.make();
    try {
      const t = new AuthThrottle(2, limiters);
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => t.passwordCheckAllowed(`name${i}`, '198.51.100.7')));
      assert.equal(results.filter(Boolean).length, 10);
      assert.equal(await t.passwordCheckAllowed('fresh-name', '198.51.100.8'), true);
    } finally {
      await close();
    }
  });
}
