import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basic } from '../helpers/client.js';
import { freshPgDatabase, PG_URL, PASSWORD, startServer } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';
import { clusterWiring } from '../../src/wiring/cluster.js';
import { REDIS_URL, clusterEnv, startNode } from '../helpers/node-process.js';
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
