import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { basic } from '../helpers/client.js';
import { freshPgDatabase, PG_URL, PASSWORD, startServer } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';
import { clusterWiring } from '../../src/wiring/cluster.js';
import { RedisKeys } from '../../src/cluster/redis-keys.js';
import { REDIS_URL, clusterEnv, signUp, startNode, type NodeProcess } from '../helpers/node-process.js';
import { hasRedisServer, privateRedis } from '../helpers/redis-test.js';

const skip = !PG_URL || !REDIS_URL ? 'needs MVCHAT_TEST_DATABASE_URL and MVCHAT_TEST_REDIS_URL' : !hasRedisServer ? 'redis-server binary not installed' : false;

test('Redis restarted during load: every acknowledged message is in history and cross-node delivery resumes (DEFECTS 14)', { skip }, async () => {
  const redis = await privateRedis();
  const db = await freshPgDatabase();
  const env = clusterEnv(db.url, redis.url);
  const [a, b] = await Promise.all([startNode(env, 'outage-a'), startNode(env, 'outage-b')]);
  try {
    const sign = async (node: typeof a, name: string) => {
      const client = await node.connect();
      const r = await client.request('acc', { user: 'new', scheme: 'basic', secret: basic(name, PASSWORD), login: true });
      return { client, id: r.params.user as string, token: r.params.token as string };
    };
    const alice = await sign(a, 'alice_o');
    const bob = await sign(b, 'bob_o');
    const conv = (await alice.client.request('dm', { user: bob.id })).params.conv;
    const acked: number[] = [];
    const sendOne = async (text: string) => {
      const r = await alice.client.request('send', { conv, content: { v: 1, text } });
      if (r.code === 202) acked.push(r.params.seq);
      return r;
    };
    for (let i = 0; i < 20; i++) await sendOne(`before ${i}`);
    await bob.client.waitFor((f) => f.data?.seq === acked.at(-1));

    await redis.kill();
    // Sends during the outage are still stored and acknowledged.
    for (let i = 0; i < 20; i++) {
      const r = await sendOne(`during ${i}`);
      assert.equal(r.code, 202, JSON.stringify(r));
    }
    await redis.start();
    // Delivery resumes once both nodes reconnected and re-registered their users.
    let live: unknown;
    for (let i = 0; i < 100 && !live; i++) {
      const r = await sendOne(`after ${i}`);
      live = await bob.client.waitFor((f) => f.data?.seq === r.params.seq, 200).catch(() => undefined);
    }
    assert.ok(live, 'a message sent after the restart reached the other node live');

    // Bob catches up from history and has every acknowledged message.
    const history = await bob.client.request('get', { what: 'messages', conv, limit: 100 });
    const seqs = new Set<number>(history.params.messages.map((m: { seq: number }) => m.seq));
    for (const s of acked) assert.ok(seqs.has(s), `acknowledged seq ${s} is in history`);
    alice.client.close();
    bob.client.close();
  } finally {
    await Promise.all([a.kill(), b.kill()]);
    await redis.kill();
    await db.drop();
  }
});

test('sockets opening and closing while Redis is paused leave every index at once (DEFECTS 6)', {
  skip: !hasRedisServer && 'redis-server binary not installed',
}, async () => {
  const redis = await privateRedis();
  const s = await startServer('sqlite', { redisUrl: redis.url, redisPrefix: 'churn:', frameRate: 1000 }, { cluster: clusterWiring });
  try {
    const u = await s.user('churner');
    redis.pause();
    for (let batch = 0; batch < 10; batch++) {
      const clients = await Promise.all(Array.from({ length: 200 }, () => TestClient.connect(s.url)));
      const logins = await Promise.all(clients.map((c) => c.request('login', { scheme: 'token', secret: u.token })));
      for (const l of logins) assert.equal(l.code, 200, 'login works while Redis hangs');
      for (const c of clients) c.ws.terminate();
      await Promise.all(clients.map((c) => c.closed));
    }
    const sessionsSettleAt = async (n: number) => {
      const deadline = Date.now() + 5000;
      while (s.app.registry.sessionCount !== n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(s.app.registry.sessionCount, n);
    };
    await sessionsSettleAt(1);
    u.client.close();
    await u.client.closed;
    await sessionsSettleAt(0);
    assert.equal(s.app.registry.userCount, 0);
    redis.resume();
    // Once Redis answers again, presence settles: the user is offline.
    let online = true;
    for (let i = 0; i < 100 && online; i++) {
      online = (await s.app.deps.presence.online([u.id])).size > 0;
      if (online) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(online, false);
  } finally {
    redis.resume();
    await s.close();
    await redis.kill();
  }
});

test('Redis restarted empty: presence changes made while it was away are told once to watchers on both nodes, and Redis holds the sessions again', {
  skip,
}, async () => {
  const redis = await privateRedis();
  const db = await freshPgDatabase();
  const env = clusterEnv(db.url, redis.url);
  const [a, b] = await Promise.all([startNode(env, 'pres-a'), startNode(env, 'pres-b')]);
  try {
    const watchA = await signUp(a, 'watch_a');
    const watchB = await signUp(b, 'watch_b');
    const stay = await signUp(a, 'stay_p'); // on a throughout
    const leaver = await signUp(a, 'leaver_p'); // closes during the outage
    const comer = await signUp(a, 'comer_p'); // offline before, logs in during the outage
    const flicker = await signUp(a, 'flicker_p'); // offline before, comes and goes during the outage
    const both = await signUp(b, 'both_p'); // on b throughout, also opens a session on a during the outage
    const subjects = { stay, leaver, comer, flicker, both };
    const room = (await watchA.client.request('room', { id: 'new', action: 'create', desc: { public: { fn: 'watch' } } })).params.conv;
    for (const u of [watchB, ...Object.values(subjects)])
      assert.equal((await watchA.client.request('room', { id: room, action: 'invite', user: u.id })).code, 200);
    for (const u of [comer, flicker]) u.client.close();
    for (const w of [watchA, watchB]) for (const u of [comer, flicker]) await w.client.waitFor((f) => f.pres?.user === u.id && f.pres.what === 'off');
    const start = [watchA, watchB].map((w) => w.client.frames.length);

    await redis.kill();
    const comerOnA = await loginOn(a, comer.token);
    const bothOnA = await loginOn(a, both.token);
    (await loginOn(a, flicker.token)).close();
    const leftFrom = Date.now();
    leaver.client.close();
    // Every close has reached node a: left there are watchA, stay, comer and both.
    await sessionsAre(a, 4);
    const leftBy = Date.now();
    await new Promise((r) => setTimeout(r, 300));
    await redis.start();

    for (const w of [watchA, watchB]) {
      await w.client.waitFor((f) => f.pres?.user === comer.id && f.pres.what === 'on', 20_000);
      await w.client.waitFor((f) => f.pres?.user === leaver.id && f.pres.what === 'off', 20_000);
    }
    // A marker going offline on each node is told after anything that node's recovery told.
    await flushOn(a, watchA);
    await flushOn(b, watchB);
    for (const [i, w] of [watchA, watchB].entries()) {
      const told = (id: string) =>
        w.client.frames
          .slice(start[i])
          .filter((f) => f.pres?.user === id)
          .map((f) => f.pres.what);
      assert.deepEqual(told(comer.id), ['on'], 'came during the outage: one on');
      assert.deepEqual(told(leaver.id), ['off'], 'left during the outage: one off');
      assert.deepEqual(told(flicker.id), [], 'came and went during the outage: nothing');
      assert.deepEqual(told(stay.id), [], 'online throughout: nothing');
      assert.deepEqual(told(both.id), [], 'online on the other node throughout: no second on');
      const off = w.client.frames.find((f) => f.pres?.user === leaver.id && f.pres.what === 'off' && w.client.frames.indexOf(f) >= start[i]!)!;
      const lastSeen = Date.parse(off.pres.lastSeen);
      assert.ok(lastSeen >= leftFrom - 5 && lastSeen <= leftBy + 5, `last seen ${off.pres.lastSeen} is when she closed, during the outage`);
    }
    const seen = (await watchB.client.request('get', { what: 'user', user: leaver.id })).params.user;
    assert.equal(seen.online, false);
    assert.equal(
      Date.parse(seen.lastSeen),
      Date.parse(watchB.client.frames.find((f) => f.pres?.user === leaver.id && f.pres.what === 'off' && f.pres.lastSeen)!.pres.lastSeen),
    );
    assert.equal((await watchB.client.request('get', { what: 'user', user: comer.id })).params.user.online, true);

    // Redis holds every node's sessions again.
    const admin = new Redis(redis.url);
    try {
      const keys = new RedisKeys(env.MVCHAT_REDIS_PREFIX!);
      const fields = async (id: string) => (await admin.hkeys(keys.presence(id))).sort();
      assert.deepEqual(await fields(stay.id), ['pres-a']);
      assert.deepEqual(await fields(comer.id), ['pres-a']);
      assert.deepEqual(await fields(both.id), ['pres-a', 'pres-b']);
      assert.deepEqual(await fields(leaver.id), []);
      assert.deepEqual(await fields(flicker.id), []);
      assert.deepEqual((await admin.smembers(keys.nodeUsers('pres-a'))).sort(), [watchA.id, stay.id, comer.id, both.id].sort());
    } finally {
      admin.disconnect();
    }
    // And changes are told live again.
    const mark = [watchA, watchB].map((w) => w.client.frames.length);
    comerOnA.close();
    for (const [i, w] of [watchA, watchB].entries())
      await w.client.waitFor((f) => w.client.frames.indexOf(f) >= mark[i]! && f.pres?.user === comer.id && f.pres.what === 'off', 10_000);
    bothOnA.close();
  } finally {
    await Promise.all([a.kill(), b.kill()]);
    await redis.kill();
    await db.drop();
  }
});

test('Redis restarted empty with a 3 s presence TTL: a watcher on the other node sees who left go off and who came go on within TTL + 1 s, and never reads her online meanwhile', {
  skip,
}, async () => {
  const ttl = 3;
  const redis = await privateRedis();
  const db = await freshPgDatabase();
  const env = { ...clusterEnv(db.url, redis.url), MVCHAT_PRESENCE_TTL: String(ttl) };
  const [a, b] = await Promise.all([startNode(env, 'ttl-a'), startNode(env, 'ttl-b')]);
  try {
    const watcher = await signUp(a, 'watch_t');
    const leaver = await signUp(b, 'leaver_t'); // online on b, closes during the outage
    const comer = await signUp(b, 'comer_t'); // offline before, logs in on b during the outage
    for (const u of [leaver, comer]) assert.ok([200, 201].includes((await watcher.client.request('dm', { user: u.id })).code));
    comer.client.close();
    await watcher.client.waitFor((f) => f.pres?.user === comer.id && f.pres.what === 'off');
    const start = watcher.client.frames.length;

    await redis.kill();
    leaver.client.close();
    const comerOnB = await loginOn(b, comer.token);
    await sessionsAre(b, 1);
    await new Promise((r) => setTimeout(r, 2000));
    await redis.start();
    const backAt = Date.now();

    // What the watcher's `get user` answers from Redis being back until the changes are told.
    const answers: string[] = [];
    const told = (id: string, what: string) => watcher.client.frames.slice(start).some((f) => f.pres?.user === id && f.pres.what === what);
    while (!(told(leaver.id, 'off') && told(comer.id, 'on')) && Date.now() < backAt + 15_000) {
      const r = await watcher.client.request('get', { what: 'user', user: leaver.id });
      if (r.params.user.online) answers.push(`on after ${Date.now() - backAt} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const toldBy = Date.now() - backAt;
    assert.deepEqual(
      { off: told(leaver.id, 'off'), on: told(comer.id, 'on'), withinBound: toldBy <= (ttl + 1) * 1000, readOnline: answers },
      { off: true, on: true, withinBound: true, readOnline: [] },
      `told ${toldBy} ms after Redis was back (bound: the TTL + 1 s); who left must never read as online meanwhile`,
    );
    assert.equal((await watcher.client.request('get', { what: 'user', user: leaver.id })).params.user.online, false);
    assert.equal((await watcher.client.request('get', { what: 'user', user: comer.id })).params.user.online, true);
    comerOnB.close();
  } finally {
    await Promise.all([a.kill(), b.kill()]);
    await redis.kill();
    await db.drop();
  }
});

async function loginOn(node: NodeProcess, token: string): Promise<TestClient> {
  const c = await node.connect();
  assert.equal((await c.request('login', { scheme: 'token', secret: token })).code, 200);
  return c;
}

async function sessionsAre(node: NodeProcess, n: number): Promise<void> {
  let sessions = -1;
  for (let i = 0; i < 200 && sessions !== n; i++) {
    sessions = ((await (await fetch(`http://127.0.0.1:${node.port}/health`)).json()) as { sessions: number }).sessions;
    if (sessions !== n) await new Promise((r) => setTimeout(r, 25));
  }
  assert.equal(sessions, n);
}

/** A marker on `node` that `watcher` shares a DM with goes offline; resolves when `watcher` heard it. */
async function flushOn(node: NodeProcess, watcher: { client: TestClient }): Promise<void> {
  const marker = await signUp(node, `marker_${randomUUID().slice(0, 6)}`);
  await watcher.client.request('dm', { user: marker.id });
  marker.client.close();
  await watcher.client.waitFor((f) => f.pres?.user === marker.id && f.pres.what === 'off', 20_000);
}
