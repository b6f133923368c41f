import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { LocalPresence } from '../../src/cluster/local-presence.js';
import { RedisPresence } from '../../src/cluster/redis-presence.js';
import type { Presence, PresenceChange } from '../../src/cluster/presence.js';
import { REDIS_URL } from '../helpers/node-process.js';
import { redisScope } from '../helpers/redis-test.js';

interface Impl {
  name: string;
  /** Presence instances that share state, one per node. */
  make(nodes: number): Promise<{ nodes: Presence[]; close(): Promise<void> }>;
}

const impls: Impl[] = [
  {
    name: 'in-process',
    async make() {
      const p = new LocalPresence();
      return { nodes: [p], close: () => p.close() };
    },
  },
];
if (REDIS_URL) {
  impls.push({
    name: 'redis',
    async make(n) {
      const scope = redisScope();
      const nodes = Array.from({ length: n }, (_, i) => new RedisPresence(scope.connection(), scope.keys, `n${i}`));
      return { nodes, close: () => scope.close() };
    },
  });
}

for (const impl of impls) {
  test(`[${impl.name}] presence: first session on comes online, last session off goes offline`, async () => {
    const { nodes, close } = await impl.make(1);
    const p = nodes[0]!;
    try {
      const u = randomUUID();
      assert.equal(await p.connect(u), true);
      assert.equal(await p.connect(u), false);
      assert.deepEqual([...(await p.online([u, randomUUID()]))], [u]);
      assert.equal(await p.disconnect(u), false);
      assert.equal(await p.disconnect(u), true);
      assert.equal((await p.online([u])).size, 0);
    } finally {
      await close();
    }
  });
}

if (REDIS_URL) {
  test('[redis] presence across nodes: many sessions of one user opening and closing at once on two nodes → exactly one on, one off', async () => {
    const impl = impls.find((i) => i.name === 'redis')!;
    for (let round = 0; round < 20; round++) {
      const { nodes, close } = await impl.make(2);
      try {
        const u = randomUUID();
        const ops = Array.from({ length: 10 }, (_, i) => nodes[i % 2]!);
        const ons = await Promise.all(ops.map((p) => p.connect(u)));
        assert.equal(ons.filter(Boolean).length, 1);
        assert.equal((await nodes[1]!.online([u])).size, 1);
        const offs = await Promise.all(ops.map((p) => p.disconnect(u)));
        assert.equal(offs.filter(Boolean).length, 1);
        assert.equal((await nodes[0]!.online([u])).size, 0);
      } finally {
        await close();
      }
    }
  });

  test('[redis] a dead node is removed and only its last-session users go offline', async () => {
    const impl = impls.find((i) => i.name === 'redis')!;
    const { nodes, close } = await impl.make(2);
    try {
      const [a, b] = nodes as [RedisPresence, RedisPresence];
      const both = randomUUID();
      const onlyA = randomUUID();
      await a.connect(both);
      await b.connect(both);
      await a.connect(onlyA);
      const offline = await b.removeNode('n0');
      assert.deepEqual(offline, [onlyA]);
      assert.deepEqual([...(await b.online([both, onlyA]))], [both]);
    } finally {
      await close();
    }
  });

  test('[redis] Redis lost the keys: the next write finds no epoch, the node falls out of step, and recover() tells only the net changes', async () => {
    const scope = redisScope();
    const changes: PresenceChange[] = [];
    const announce = async (c: PresenceChange) => void changes.push(c);
    const [a, b] = ['n0', 'n1'].map((n) => new RedisPresence(scope.connection(), scope.keys, n, { settleMs: 200 })) as [RedisPresence, RedisPresence];
    try {
      const [stay, leaver, elsewhere, comer] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      await a.connect(stay);
      await a.connect(leaver);
      await b.connect(elsewhere);
      const admin = scope.connection();
      const lost = await admin.keys(`${scope.prefix}*`);
      await admin.del(...lost);
      assert.equal(await a.connect(comer), false, 'not decided against a Redis that lost what the node wrote');
      assert.equal(await a.disconnect(leaver), false);
      assert.equal(await a.connect(elsewhere), false);
      assert.equal(a.inStep, false);
      await b.verify();
      assert.equal(b.inStep, false, 'an idle node notices the lost epoch when it checks');
      assert.deepEqual(await Promise.all([a.recover(announce), b.recover(announce)]), [true, true]);
      assert.deepEqual(
        changes.map((c) => [c.userId, c.online]).sort(),
        [
          [comer, true],
          [leaver, false],
        ].sort(),
      );
      assert.deepEqual([...(await b.online([stay, leaver, elsewhere, comer]))].sort(), [stay, elsewhere, comer].sort());
      assert.deepEqual((await b.nodesOf([elsewhere]))[0]?.sort(), ['n0', 'n1']);
      assert.equal(await a.disconnect(comer), true, 'in step again');
    } finally {
      await Promise.all([a.close(), b.close()]);
      await scope.close();
    }
  });
} else {
  test('redis presence conformance', { skip: 'MVCHAT_TEST_REDIS_URL not set' }, () => {});
}
