import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { NodeHeartbeat } from '../../src/cluster/node-heartbeat.js';
import type { PresenceChange } from '../../src/cluster/presence.js';
import { RedisKeys } from '../../src/cluster/redis-keys.js';
import { RedisPresence } from '../../src/cluster/redis-presence.js';
import { createLogger } from '../../src/logger.js';
import { REDIS_URL } from '../helpers/node-process.js';
import { hasRedisServer, privateRedis, redisScope, type PrivateRedis } from '../helpers/redis-test.js';

const skip = hasRedisServer ? false : 'redis-server binary not installed';
const SETTLE_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Nodes as the cluster wiring builds them (fail fast, never resend), each with its own presence connection. */
function cluster(redis: PrivateRedis, names: string[]) {
  const keys = new RedisKeys(`t${randomUUID().slice(0, 8)}:`);
  const conns: Redis[] = [];
  const told: (PresenceChange & { node: string })[] = [];
  const log = createLogger('silent', 'test');
  const nodes = names.map((name) => {
    const conn = new Redis(redis.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 400,
      autoResendUnfulfilledCommands: false,
      retryStrategy: (n: number) => Math.min(50 * n, 200),
    });
    conn.on('error', () => undefined);
    conns.push(conn);
    const presence = new RedisPresence(conn, keys, name, { settleMs: SETTLE_MS, log });
    return { name, conn, presence, announce: async (c: PresenceChange) => void told.push({ ...c, node: name }) };
  });
  return {
    keys,
    nodes,
    told,
    /** Resolves once every connection is ready (the wiring awaits its connections before use). */
    ready: () => Promise.all(conns.map((c) => (c.status === 'ready' ? undefined : new Promise((r) => c.once('ready', r))))),
    /** What the wiring does once Redis is back: check the epoch, recover until in step, on every node at its own pace. */
    async recoverAll(): Promise<void> {
      await Promise.all(
        nodes.map(async (n) => {
          for (let i = 0; i < 300; i++) {
            if (n.conn.status === 'ready') {
              await n.presence.verify();
              if (await n.presence.recover(n.announce)) return;
            }
            await sleep(50);
          }
          throw new Error(`${n.name} did not recover`);
        }),
      );
    },
    /** node → count, per user, as Redis holds it. */
    async state(users: string[]): Promise<Record<string, Record<string, string>>> {
      const admin = new Redis(redis.url);
      try {
        const out: Record<string, Record<string, string>> = {};
        for (const u of users) out[u] = await admin.hgetall(keys.presence(u));
        return out;
      } finally {
        admin.disconnect();
      }
    },
    async nodeUsers(node: string): Promise<string[]> {
      const admin = new Redis(redis.url);
      try {
        return (await admin.smembers(keys.nodeUsers(node))).sort();
      } finally {
        admin.disconnect();
      }
    },
    async close() {
      await Promise.all(nodes.map((n) => n.presence.close()));
      for (const c of conns) c.disconnect();
    },
  };
}

const ids = (...names: string[]) => Object.fromEntries(names.map((n) => [n, `${n}-${randomUUID().slice(0, 8)}`])) as Record<string, string>;

/**
 * The same outage story on two nodes, for an outage that loses Redis' data
 * (killed, restarted empty) and one that keeps it (paused).
 */
async function outageStory(outage: 'restart' | 'pause') {
  const redis = await privateRedis();
  const c = cluster(redis, ['a', 'b']);
  const [a, b] = [c.nodes[0]!.presence, c.nodes[1]!.presence];
  const u = ids('stay', 'leaver', 'comer', 'flicker', 'both', 'mover', 'twice');
  try {
    await c.ready();
    // Before: stay, leaver and mover on a; both on b.
    for (const id of [u.stay!, u.leaver!, u.mover!]) assert.equal(await a.connect(id), true);
    assert.equal(await b.connect(u.both!), true);
    c.told.length = 0;

    if (outage === 'restart') await redis.kill();
    else redis.pause();
    const outageFrom = Date.now();
    // During: every call answers false (nothing is told yet).
    // comer comes on a; flicker comes and goes on a; leaver goes; both also opens on a;
    // mover moves from a to b; twice comes on both nodes.
    const during = await Promise.all([a.connect(u.comer!), a.connect(u.flicker!), b.connect(u.mover!), b.connect(u.twice!)]);
    assert.deepEqual(during, [false, false, false, false]);
    assert.equal(await a.disconnect(u.flicker!), false);
    assert.equal(await a.disconnect(u.leaver!), false);
    const leftAt = Date.now();
    assert.equal(await a.connect(u.both!), false);
    assert.equal(await a.disconnect(u.mover!), false);
    assert.equal(await a.connect(u.twice!), false);
    assert.equal(a.inStep, false);
    assert.equal(b.inStep, false);
    assert.equal(c.told.length, 0, 'nothing is told while Redis is away');
    // While out of step, a node still answers for its own users.
    assert.deepEqual([...(await a.online([u.comer!, u.leaver!]))].sort(), [u.comer!]);

    if (outage === 'restart') await redis.start();
    else redis.resume();
    const backAt = Date.now();
    await c.recoverAll();

    const told = c.told.map((t) => `${t.online ? 'on' : 'off'} ${Object.keys(u).find((k) => u[k] === t.userId)}`).sort();
    assert.deepEqual(told, ['off leaver', 'on comer', 'on twice'], 'each net change told once, by one node');
    const off = c.told.find((t) => !t.online)!;
    assert.equal(off.node, 'a');
    assert.ok(off.at.getTime() >= outageFrom && off.at.getTime() <= leftAt, 'her last seen is when her last session closed, during the outage');
    assert.ok(backAt - outageFrom >= 0);

    assert.deepEqual(await c.state(Object.values(u)), {
      [u.stay!]: { a: '1' },
      [u.leaver!]: {},
      [u.comer!]: { a: '1' },
      [u.flicker!]: {},
      [u.both!]: { a: '1', b: '1' },
      [u.mover!]: { b: '1' },
      [u.twice!]: { a: '1', b: '1' },
    });
    assert.deepEqual(await c.nodeUsers('a'), [u.stay!, u.comer!, u.both!, u.twice!].sort());
    assert.deepEqual(await c.nodeUsers('b'), [u.both!, u.mover!, u.twice!].sort());

    // In step again: transitions are decided and told as usual.
    assert.equal(a.inStep && b.inStep, true);
    assert.equal(await a.disconnect(u.comer!), true);
    assert.equal(await a.disconnect(u.both!), false);
    assert.equal(await b.disconnect(u.both!), true);
  } finally {
    redis.resume();
    await c.close();
    await redis.kill();
  }
}

test(
  'Redis restarted empty: on a user who came, off (with last seen) a user who left, nothing for who came and went, moved, or was online elsewhere',
  { skip },
  () => outageStory('restart'),
);

test('Redis paused (writes time out, then run late): the same net changes, once, and Redis holds each node’s sessions after', { skip }, () =>
  outageStory('pause'),
);

test('a user who left during the outage reads as offline on every node while the recovery runs, until her off is told', { skip }, async () => {
  const redis = await privateRedis();
  const c = cluster(redis, ['watching', 'hosting']);
  const [watching, hosting] = [c.nodes[0]!.presence, c.nodes[1]!.presence];
  const u = ids('stay', 'leaver', 'comer');
  // What other nodes answer for `get user` while the recovery runs (a node answers for its own users from memory).
  const readOn = new Set<string>();
  let polling = true;
  const poll = (async () => {
    while (polling) {
      const on = await watching.online([u.leaver!, u.comer!]).catch(() => new Set<string>());
      if (on.has(u.leaver!)) readOn.add('leaver');
      await sleep(20);
    }
  })();
  try {
    await c.ready();
    for (const id of [u.stay!, u.leaver!]) assert.equal(await hosting.connect(id), true);
    c.told.length = 0;

    await redis.kill();
    assert.equal(await hosting.disconnect(u.leaver!), false);
    assert.equal(await hosting.connect(u.comer!), false);
    await redis.start();
    await c.recoverAll();

    assert.deepEqual(c.told.map((t) => `${t.online ? 'on' : 'off'} ${Object.keys(u).find((k) => u[k] === t.userId)}`).sort(), ['off leaver', 'on comer']);
    assert.deepEqual(readOn, new Set(), 'her field is kept for the recovery, but not as a session: she never reads as online');
    assert.deepEqual(await c.state([u.stay!, u.leaver!, u.comer!]), { [u.stay!]: { hosting: '1' }, [u.leaver!]: {}, [u.comer!]: { hosting: '1' } });
  } finally {
    polling = false;
    await poll;
    await c.close();
    await redis.kill();
  }
});

test('a node that died while Redis was paused: a survivor announces its users off once Redis is back', { skip }, async () => {
  const redis = await privateRedis();
  const c = cluster(redis, ['a', 'dead']);
  const [a, dead] = [c.nodes[0]!, c.nodes[1]!];
  const log = createLogger('silent', 'test');
  const ttl = 600;
  const hbA = new NodeHeartbeat(a.conn, c.keys, 'a', a.presence, ttl, log);
  const hbDead = new NodeHeartbeat(dead.conn, c.keys, 'dead', dead.presence, ttl, log);
  const offline: string[] = [];
  const onOffline = async (users: string[]) => void offline.push(...users);
  const u = ids('orphan', 'shared');
  try {
    await c.ready();
    await hbA.start(onOffline);
    await hbDead.start(onOffline);
    await dead.presence.connect(u.orphan!);
    await dead.presence.connect(u.shared!);
    await a.presence.connect(u.shared!);
    redis.pause();
    await dead.presence.close(); // it dies during the outage
    dead.conn.disconnect();
    await sleep(ttl * 2);
    redis.resume();
    for (let i = 0; i < 100 && offline.length === 0; i++) {
      await hbA.beat().catch(() => undefined);
      await hbA.sweep(onOffline).catch(() => undefined);
      await sleep(ttl / 5);
    }
    assert.deepEqual(offline, [u.orphan!], 'only the user with no session left anywhere');
    assert.deepEqual(await c.state([u.orphan!, u.shared!]), { [u.orphan!]: {}, [u.shared!]: { a: '1' } });
  } finally {
    redis.resume();
    await c.close();
    await redis.kill();
  }
});

test('Redis lost its data again during a recovery: the recovery starts over and still tells each change once', { skip }, async () => {
  const redis = await privateRedis();
  const c = cluster(redis, ['a']);
  const a = c.nodes[0]!;
  const u = ids('stay', 'comer', 'leaver');
  try {
    await c.ready();
    await a.presence.connect(u.stay!);
    await a.presence.connect(u.leaver!);
    c.told.length = 0;
    await redis.kill();
    await a.presence.connect(u.comer!);
    await a.presence.disconnect(u.leaver!);
    await redis.start();
    for (let i = 0; i < 100 && a.conn.status !== 'ready'; i++) await sleep(50);
    const first = a.presence.recover(a.announce);
    // Lost again while it waits between steps.
    await sleep(SETTLE_MS / 2);
    await redis.kill();
    assert.equal(await first, false);
    await redis.start();
    await c.recoverAll();
    const told = c.told.map((t) => `${t.online ? 'on' : 'off'} ${t.userId}`).sort();
    assert.deepEqual(told, [`off ${u.leaver}`, `on ${u.comer}`].sort());
    assert.deepEqual(await c.state([u.stay!, u.comer!, u.leaver!]), { [u.stay!]: { a: '1' }, [u.comer!]: { a: '1' }, [u.leaver!]: {} });
  } finally {
    await c.close();
    await redis.kill();
  }
});

test('a node cut off longer than the TTL is taken for dead; back, it finds the mark and tells its users on again', {
  skip: !REDIS_URL && 'MVCHAT_TEST_REDIS_URL not set',
}, async () => {
  const scope = redisScope();
  const log = createLogger('silent', 'test');
  const ttl = 400;
  const told: PresenceChange[] = [];
  const offline: string[] = [];
  const onOffline = async (users: string[]) => void offline.push(...users);
  const make = (name: string) => {
    const conn = scope.connection();
    const presence = new RedisPresence(conn, scope.keys, name, { settleMs: 50, log });
    return { presence, heartbeat: new NodeHeartbeat(conn, scope.keys, name, presence, ttl, log) };
  };
  const a = make('a');
  const cut = make('cut');
  const [alone, shared] = [randomUUID(), randomUUID()];
  try {
    await a.heartbeat.start(onOffline);
    await cut.heartbeat.start(onOffline);
    assert.equal(await cut.presence.connect(alone), true);
    assert.equal(await cut.presence.connect(shared), true);
    assert.equal(await a.presence.connect(shared), false);
    // `cut` does not beat for longer than the TTL; `a` sweeps it.
    await sleep(ttl);
    await a.heartbeat.sweep(onOffline);
    assert.deepEqual(offline, [alone]);
    assert.equal(cut.presence.inStep, true, 'it had nothing to write meanwhile');
    // Back: its next beat finds the mark.
    await cut.heartbeat.beat();
    assert.equal(cut.presence.inStep, false);
    assert.equal(await cut.presence.recover(async (c) => void told.push(c)), true);
    assert.deepEqual(
      told.map((c) => [c.userId, c.online]),
      [[alone, true]],
    );
    assert.deepEqual(
      (await a.presence.nodesOf([alone, shared])).map((n) => n.sort()),
      [['cut'], ['a', 'cut']],
    );
    await cut.heartbeat.beat();
    assert.equal(cut.presence.inStep, true, 'the mark is gone once found');
  } finally {
    await Promise.all([a.presence.close(), cut.presence.close()]);
    await scope.close();
  }
});
