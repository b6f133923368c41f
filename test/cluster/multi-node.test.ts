import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basic, type TestClient } from '../helpers/client.js';
import { freshPgDatabase, PG_URL, PASSWORD, startServer } from '../helpers/server.js';
import { clusterWiring } from '../../src/wiring/cluster.js';
import { suspendAccount } from '../../src/domain/sessions.js';
import { REDIS_URL, clusterEnv, signUp, startNode, type NodeProcess } from '../helpers/node-process.js';

const skip = !PG_URL || !REDIS_URL ? 'needs MVCHAT_TEST_DATABASE_URL and MVCHAT_TEST_REDIS_URL' : false;

async function loginOn(node: NodeProcess, token: string): Promise<TestClient> {
  const c = await node.connect();
  assert.equal((await c.request('login', { scheme: 'token', secret: token })).code, 200);
  return c;
}

async function withCluster(
  nodes: number,
  fn: (n: NodeProcess[], env: Record<string, string>) => Promise<void>,
  extraEnv: Record<string, string> = {},
  nodeEnv: Record<string, string>[] = [],
) {
  const db = await freshPgDatabase();
  const env = { ...clusterEnv(db.url), ...extraEnv };
  // Nodes start at the same moment against the empty database: it is migrated once.
  const started = await Promise.all(Array.from({ length: nodes }, (_, i) => startNode({ ...env, ...nodeEnv[i] }, `n${i}-${env.MVCHAT_REDIS_PREFIX}`)));
  try {
    await fn(started, env);
  } finally {
    await Promise.all(started.map((n) => n.kill()));
    await db.drop();
  }
}

test('DM and room delivery across nodes; a user on two nodes gets every frame once on each session', { skip }, async () => {
  await withCluster(2, async ([a, b]) => {
    const alice = await signUp(a!, 'alice_x');
    const bob = await signUp(b!, 'bob_x');
    const bobOnA = await loginOn(a!, bob.token);
    const dm = await alice.client.request('dm', { user: bob.id });
    assert.equal(dm.code, 201);
    const conv = dm.params.conv;
    for (let i = 1; i <= 5; i++) {
      const r = await alice.client.request('send', { conv, content: { v: 1, text: `m${i}` } });
      assert.equal(r.code, 202);
    }
    for (const c of [bob.client, bobOnA]) {
      await c.waitFor((f) => f.data?.seq === 5);
      const seqs = c.frames.filter((f) => f.data?.conv === conv).map((f) => f.data.seq);
      assert.deepEqual(seqs, [1, 2, 3, 4, 5], 'each session gets each frame once, in order');
    }
    // A room spanning both nodes.
    const room = await alice.client.request('room', { id: 'new', action: 'create', desc: { public: { fn: 'R' } } });
    const rid = room.params.conv;
    assert.equal((await alice.client.request('room', { id: rid, action: 'invite', user: bob.id })).code, 200);
    await bob.client.waitFor((f) => f.info?.what === 'member_joined' && f.info.conv === rid);
    assert.equal((await bob.client.request('send', { conv: rid, content: { v: 1, text: 'hello room' } })).code, 202);
    const got = await alice.client.waitFor((f) => f.data?.conv === rid);
    assert.deepEqual(got.data.content, { v: 1, text: 'hello room' });
    await bobOnA.waitFor((f) => f.data?.conv === rid);
    const health = (await (await fetch(`http://127.0.0.1:${a!.port}/health`)).json()) as Record<string, unknown>;
    assert.equal(health.node, a!.id);
  });
});

test('a room big enough to go to every node at once: each member on either node gets each frame once, in order', { skip }, async () => {
  await withCluster(2, async ([a, b]) => {
    // 34 members: past the size from which a room frame is published once for all nodes.
    const members = [];
    for (let i = 0; i < 34; i++) members.push(await signUp(i % 2 === 0 ? a! : b!, `big_${i}`));
    const owner = members[0]!;
    const secondSession = await loginOn(b!, owner.token);
    const room = await owner.client.request('room', { id: 'new', action: 'create', desc: { public: { fn: 'Big' } } });
    const rid = room.params.conv;
    for (const m of members.slice(1)) assert.equal((await owner.client.request('room', { id: rid, action: 'invite', user: m.id })).code, 200);
    const sender = members[1]!;
    for (let i = 1; i <= 3; i++) assert.equal((await sender.client.request('send', { conv: rid, content: { v: 1, text: `big ${i}` } })).code, 202);
    assert.equal((await owner.client.request('send', { conv: rid, content: { v: 1, text: 'from the owner' } })).code, 202);
    const everyone = [...members.filter((m) => m !== sender).map((m) => m.client), secondSession];
    for (const c of everyone) await c.waitFor((f) => f.data?.conv === rid && f.data.seq === (c === owner.client ? 3 : 4));
    await new Promise((r) => setTimeout(r, 200));
    for (const c of everyone) {
      const seqs = c.frames.filter((f) => f.data?.conv === rid).map((f) => f.data.seq);
      // The owner's own session that sent seq 4 does not get it back; every other session gets all four.
      assert.deepEqual(seqs, c === owner.client ? [1, 2, 3] : [1, 2, 3, 4], 'once each, in seq order');
    }
    const senderSeqs = sender.client.frames.filter((f) => f.data?.conv === rid).map((f) => f.data.seq);
    assert.deepEqual(senderSeqs, [4], 'the sender hears only the others');
  });
});

test("a room's messages from senders on both nodes reach every session on both nodes in seq order, none missing", { skip }, async () => {
  await withCluster(
    2,
    async ([a, b]) => {
      const owner = await signUp(a!, 'order_owner');
      const readers = [await signUp(a!, 'order_read_a'), await signUp(b!, 'order_read_b')];
      const senders = [
        await signUp(a!, 'order_send_a1'),
        await signUp(a!, 'order_send_a2'),
        await signUp(b!, 'order_send_b1'),
        await signUp(b!, 'order_send_b2'),
      ];
      // A sender's second socket, on the other node: it gets her own messages too.
      const echo = await loginOn(b!, senders[0]!.token);
      const room = (await owner.client.request('room', { id: 'new', action: 'create', desc: { public: { fn: 'Order' } } })).params.conv;
      for (const u of [...readers, ...senders]) assert.equal((await owner.client.request('room', { id: room, action: 'invite', user: u.id })).code, 200);
      const sessions = [owner.client, ...readers.map((r) => r.client), ...senders.map((s) => s.client), echo];
      const seqsOf = (c: TestClient) => c.frames.filter((f) => f.data?.conv === room).map((f) => f.data.seq as number);
      // One message first: a node starts a conversation at the first frame it sees, so both nodes know it before the race.
      assert.equal((await owner.client.request('send', { conv: room, content: { v: 1, text: 'first' } })).code, 202);
      for (const c of sessions.filter((c) => c !== owner.client)) await c.waitFor(() => seqsOf(c).length === 1);

      const perSender = 25;
      const replies = await Promise.all(
        senders.map((s, k) =>
          Promise.all(Array.from({ length: perSender }, (_, i) => s.client.request('send', { conv: room, content: { v: 1, text: `${k}:${i}` } }, 30_000))),
        ),
      );
      const own = new Map<TestClient, number[]>(senders.map((s, k) => [s.client, replies[k]!.map((r) => r.params.seq as number)]));
      own.set(owner.client, [1]);
      const total = 1 + perSender * senders.length;
      const all = Array.from({ length: total }, (_, i) => i + 1);
      assert.deepEqual(
        [...own.values()].flat().sort((x, y) => x - y),
        all,
        'every send stored once',
      );
      // Both nodes stored messages in turn: the race is real.
      const seqsOn = (node: number) => senders.filter((_, k) => k < 2 === (node === 0)).flatMap((s) => own.get(s.client)!);
      assert.ok(seqsOn(0).length > 0 && seqsOn(1).length > 0);

      for (const c of sessions) {
        const mine = new Set(own.get(c) ?? []);
        const expected = all.filter((seq) => !mine.has(seq));
        await c.waitFor(() => seqsOf(c).length >= expected.length, 30_000).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(seqsOf(c), expected, 'strictly increasing, none missing, none twice');
      }
    },
    { MVCHAT_ORDER_HOLD: '3' },
    // Node a's cross-node sends leave 150 ms late (test-only setting): b's sessions get b's messages before a's earlier ones unless put in order.
    [{ MVCHAT_TEST_PUBLISH_DELAY_MS: '150' }],
  );
});

test('presence across nodes: a watcher sees exactly one on per coming online and one off per going offline', { skip }, async () => {
  await withCluster(2, async ([a, b]) => {
    const watcher = await signUp(a!, 'watcher');
    const subject = await signUp(b!, 'subject');
    await watcher.client.request('dm', { user: subject.id });
    subject.client.close();
    await watcher.client.waitFor((f) => f.pres?.user === subject.id && f.pres.what === 'off');
    const start = watcher.client.frames.length;
    const open: { c: TestClient; node: NodeProcess }[] = [];
    let expectedOn = 0;
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let step = 0; step < 24; step++) {
      if (open.length === 0 || (open.length < 3 && rand() < 0.55)) {
        const node = rand() < 0.5 ? a! : b!;
        if (open.length === 0) expectedOn++;
        open.push({ c: await loginOn(node, subject.token), node });
      } else {
        const i = Math.floor(rand() * open.length);
        const [gone] = open.splice(i, 1);
        gone!.c.close();
        await gone!.c.closed;
        const expected = open.filter((o) => o.node === gone!.node).length + (gone!.node === a ? 1 : 0);
        await waitHealth(gone!.node, (h) => h.sessions === expected);
      }
      // Let each transition settle before the next one so the model is exact.
      if (open.length === 1)
        await watcher.client.waitFor(
          (f) => watcher.client.frames.indexOf(f) >= start && f.pres?.user === subject.id && f.pres.what === 'on' && countOn() === expectedOn,
        );
      if (open.length === 0) await watcher.client.waitFor(() => countOff() === expectedOn);
    }
    for (const o of open.splice(0)) o.c.close();
    await watcher.client.waitFor(() => countOff() === expectedOn, 15_000);
    const seq = presSeq();
    assert.equal(seq.length, expectedOn * 2);
    for (const [i, what] of seq.entries()) assert.equal(what, i % 2 === 0 ? 'on' : 'off', `frame ${i}`);
    const lastOff = watcher.client.frames.filter((f) => f.pres?.what === 'off').pop();
    assert.ok(lastOff?.pres.lastSeen);

    function presSeq(): string[] {
      return watcher.client.frames
        .slice(start)
        .filter((f) => f.pres?.user === subject.id)
        .map((f) => f.pres.what);
    }
    function countOn() {
      return presSeq().filter((w) => w === 'on').length;
    }
    function countOff() {
      return presSeq().filter((w) => w === 'off').length;
    }
  });
});

test('a block hides the blocker from the blocked across nodes: no pres, no typing, no last seen', { skip }, async () => {
  await withCluster(2, async ([a, b]) => {
    const al = await signUp(a!, 'blocked_x');
    const cy = await signUp(a!, 'watcher_x');
    const bea = await signUp(b!, 'blocker_x');
    const dm = (await al.client.request('dm', { user: bea.id })).params.conv;
    const room = (await cy.client.request('room', { action: 'create' })).params.conv;
    for (const u of [al, bea]) assert.equal((await cy.client.request('room', { id: room, action: 'invite', user: u.id })).code, 200);
    assert.equal((await bea.client.request('dm', { conv: dm, blocked: true })).code, 200);

    bea.client.close();
    await cy.client.waitFor((f) => f.pres?.user === bea.id && f.pres.what === 'off');
    const beaAgain = await loginOn(b!, bea.token);
    await cy.client.waitFor((f) => f.pres?.user === bea.id && f.pres.what === 'on');
    beaAgain.send({ typing: { conv: room } });
    await cy.client.waitFor((f) => f.info?.from === bea.id && f.info.what === 'typing');
    // Marker: a user on the blocker's node goes offline after all of the above; the blocked hears that one.
    const marker = await signUp(b!, 'marker_x');
    await al.client.request('dm', { user: marker.id });
    marker.client.close();
    await al.client.waitFor((f) => f.pres?.user === marker.id && f.pres.what === 'off');
    assert.deepEqual(
      al.client.frames.filter((f) => f.pres?.user === bea.id || f.info?.from === bea.id),
      [],
    );
    const seen = (await al.client.request('get', { what: 'user', user: bea.id })).params.user;
    assert.deepEqual([seen.online, seen.lastSeen], [false, null]);
    assert.equal((await cy.client.request('get', { what: 'user', user: bea.id })).params.user.online, true);

    assert.equal((await beaAgain.request('dm', { conv: dm, blocked: false })).code, 200);
    beaAgain.close();
    const off = await al.client.waitFor((f) => f.pres?.user === bea.id && f.pres.what === 'off');
    assert.ok(off.pres.lastSeen, 'unblocked: presence flows again');
  });
});

test('presence contacts across nodes: someone she did not add, on the other node, gets no pres when she comes online', { skip }, async () => {
  await withCluster(2, async ([a, b]) => {
    const al = await signUp(a!, 'not_added_x');
    const cy = await signUp(a!, 'added_x');
    const bea = await signUp(b!, 'private_x');
    const room = (await cy.client.request('room', { action: 'create' })).params.conv;
    for (const u of [al, bea]) assert.equal((await cy.client.request('room', { id: room, action: 'invite', user: u.id })).code, 200);
    assert.equal((await al.client.request('contact', { add: bea.id })).code, 200, 'his add does not count for her');
    assert.equal((await bea.client.request('contact', { add: cy.id })).code, 200);
    assert.equal((await bea.client.request('acc', { user: 'me', privacy: { presence: 'contacts' } })).code, 200);

    bea.client.close();
    await cy.client.waitFor((f) => f.pres?.user === bea.id && f.pres.what === 'off');
    const beaAgain = await loginOn(b!, bea.token);
    await cy.client.waitFor((f) => f.pres?.user === bea.id && f.pres.what === 'on');
    // Marker: a user on her node goes offline after all of the above; Al hears that one.
    const marker = await signUp(b!, 'marker_p');
    await al.client.request('dm', { user: marker.id });
    marker.client.close();
    await al.client.waitFor((f) => f.pres?.user === marker.id && f.pres.what === 'off');
    assert.deepEqual(
      al.client.frames.filter((f) => f.pres?.user === bea.id),
      [],
    );
    const seen = (await al.client.request('get', { what: 'user', user: bea.id })).params.user;
    assert.deepEqual([seen.online, seen.lastSeen], [false, null]);
    assert.equal((await cy.client.request('get', { what: 'user', user: bea.id })).params.user.online, true);
    beaAgain.close();
  });
});

test('a node killed with SIGKILL: its users go offline for watchers within the presence TTL', { skip }, async () => {
  await withCluster(
    2,
    async ([a, b]) => {
      const watcher = await signUp(a!, 'watch2');
      const victim = await signUp(b!, 'victim2');
      await watcher.client.request('dm', { user: victim.id });
      const r = await watcher.client.request('get', { what: 'user', user: victim.id });
      assert.equal(r.params.user.online, true, 'online reflects sessions on other nodes');
      const killedAt = Date.now();
      await b!.kill();
      const off = await watcher.client.waitFor((f) => f.pres?.user === victim.id && f.pres.what === 'off', 10_000);
      assert.ok(Date.now() - killedAt <= 3000 + 1000, `off after ${Date.now() - killedAt} ms`);
      assert.ok(off.pres.lastSeen);
      const after = await watcher.client.request('get', { what: 'user', user: victim.id });
      assert.equal(after.params.user.online, false);
    },
    { MVCHAT_PRESENCE_TTL: '3' },
  );
});

async function waitHealth(node: NodeProcess, ok: (h: { sessions: number; online: number }) => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const h = (await (await fetch(`http://127.0.0.1:${node.port}/health`)).json()) as { sessions: number; online: number };
    if (ok(h)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('login throttling is shared by every node (Redis-backed limits)', { skip }, async () => {
  await withCluster(
    2,
    async ([a, b]) => {
      await signUp(a!, 'guarded');
      const onA = await a!.connect();
      const onB = await b!.connect();
      const tries = [onA, onB, onA];
      for (const c of tries) assert.equal((await c.request('login', { scheme: 'basic', secret: basic('guarded', 'wrong-guess') })).text, 'invalid credentials');
      const r = await onB.request('login', { scheme: 'basic', secret: basic('guarded', PASSWORD) });
      assert.deepEqual([r.code, r.text], [429, 'too many attempts']);
    },
    { MVCHAT_AUTH_LIMIT: '3' },
  );
});

async function passwordOn(node: NodeProcess, name: string): Promise<{ client: TestClient; session: string; token: string }> {
  const client = await node.connect();
  const r = await client.request('login', { scheme: 'basic', secret: basic(name, PASSWORD) });
  assert.equal(r.code, 200, JSON.stringify(r));
  return { client, session: r.params.session, token: r.params.token };
}

async function closedWithin(c: TestClient, ms: number): Promise<number> {
  const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`socket not closed within ${ms} ms`)), ms));
  return (await Promise.race([c.closed, timer])).code;
}

test('ending sessions across nodes: logout of a session, a password change and a suspension close her sockets on the other node within 2 s', {
  skip,
}, async () => {
  await withCluster(2, async ([a, b], env) => {
    const her = await signUp(a!, 'her_x');
    const friend = await signUp(b!, 'friend_x');
    const dm = (await friend.client.request('dm', { user: her.id })).params.conv;

    // A session on node b that asked for notices hears of a new password session on node a.
    const watcher = await b!.connect();
    assert.equal((await watcher.request('hi', { ver: '0.1.0', notices: true })).code, 200);
    assert.equal((await watcher.request('login', { scheme: 'token', secret: her.token })).code, 200);
    const started = await passwordOn(a!, 'her_x');
    assert.equal((await watcher.waitFor((f) => f.notice?.what === 'new_session', 2000)).notice.session.id, started.session);
    assert.equal((await her.client.request('logout', { session: started.session })).code, 200);
    watcher.close();

    // logout {session} on node a of a session whose socket is on node b.
    const laptop = await passwordOn(b!, 'her_x');
    assert.equal((await her.client.request('logout', { session: laptop.session })).code, 200);
    assert.equal(await closedWithin(laptop.client, 2000), 4010);
    const before = laptop.client.frames.length;
    assert.equal((await friend.client.request('send', { conv: dm, content: { v: 1, text: 'after logout' } })).code, 202);
    await her.client.waitFor((f) => f.data?.content?.text === 'after logout');
    assert.equal(laptop.client.frames.length, before, 'the ended socket gets nothing more');
    for (const node of [a!, b!]) {
      const c = await node.connect();
      assert.equal((await c.request('login', { scheme: 'token', secret: laptop.token })).code, 401, 'its token is void on every node');
    }

    // A password change on node a ends her session on node b.
    const phone = await passwordOn(b!, 'her_x');
    const changed = await her.client.request('acc', { user: 'me', secret: basic(PASSWORD, 'another-pass') });
    assert.equal(changed.code, 200);
    assert.equal(await closedWithin(phone.client, 2000), 4010);
    const fresh = await b!.connect();
    assert.equal((await fresh.request('login', { scheme: 'token', secret: changed.params.token })).code, 200, 'the changer goes on with the fresh token');

    // A suspension from a third, in-process node closes her sockets on both nodes with 4011.
    const admin = await startServer(
      'postgres',
      {
        databaseUrl: env.DATABASE_URL,
        redisUrl: env.REDIS_URL,
        redisPrefix: env.MVCHAT_REDIS_PREFIX,
        tokenKey: Buffer.from(env.MVCHAT_TOKEN_KEY!, 'base64'),
        encryptionKeys: [Buffer.from(env.MVCHAT_ENCRYPTION_KEY!, 'base64')],
      },
      { cluster: clusterWiring },
    );
    try {
      assert.equal(await suspendAccount(admin.app.deps, her.id), true);
      assert.deepEqual(await Promise.all([closedWithin(her.client, 2000), closedWithin(fresh, 2000)]), [4011, 4011]);
    } finally {
      await admin.close();
    }
  });
});

test('sync on any node: senders on both nodes, one catch-up on the other node has every message once, in seq order', { skip, timeout: 60_000 }, async () => {
  await withCluster(2, async ([a, b]) => {
    const owner = await signUp(a!, 'sync_owner');
    const onA = await signUp(a!, 'sync_a');
    const onB = await signUp(b!, 'sync_b');
    const reader = await signUp(a!, 'sync_reader');
    const room = (await owner.client.request('room', { id: 'new', action: 'create', desc: { public: { fn: 'S' } } })).params.conv;
    for (const u of [onA, onB, reader]) assert.equal((await owner.client.request('room', { id: room, action: 'invite', user: u.id })).code, 200);
    const since = (await reader.client.request('get', { what: 'sync' })).params.cursor as string;
    reader.client.close();
    // Both nodes write into the room at once, and an edit and a reaction cross too.
    const mine = new Map<string, number[]>();
    await Promise.all(
      [onA, onB].map(async (u) => {
        for (let i = 0; i < 20; i++) {
          const r = await u.client.request('send', { conv: room, content: { v: 1, text: `${u.id} ${i}` } });
          assert.equal(r.code, 202);
          mine.set(u.id, [...(mine.get(u.id) ?? []), r.params.seq]);
        }
      }),
    );
    const edited = mine.get(onB.id)!.at(-1)!;
    assert.equal((await onB.client.request('edit', { conv: room, seq: edited, content: { v: 1, text: 'edited on b' } })).code, 200);
    assert.equal((await onA.client.request('react', { conv: room, seq: 1, emoji: '👍' })).code, 200);
    const back = await loginOn(b!, reader.token);
    const events: Record<string, any>[] = [];
    for (let cursor = since; ; ) {
      const r = await back.request('get', { what: 'sync', since: cursor, limit: 7 });
      assert.equal(r.code, 200);
      events.push(...r.params.events);
      cursor = r.params.cursor;
      if (!r.params.more) break;
    }
    const seqs = events.filter((e) => e.data?.conv === room).map((e) => e.data.seq);
    assert.deepEqual(
      seqs,
      Array.from({ length: 40 }, (_, i) => i + 1),
      'every message once, in seq order',
    );
    assert.deepEqual(events.find((e) => e.data?.seq === edited)?.data.content, { v: 1, text: 'edited on b' });
    assert.ok(events.some((e) => e.info?.what === 'react' && e.info.added === true));
  });
});
