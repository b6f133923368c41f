import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import type { Bus, LocalDelivery, ReceivedControl } from '../../src/cluster/bus.js';
import { LocalBus } from '../../src/cluster/local-bus.js';
import { LocalPresence } from '../../src/cluster/local-presence.js';
import type { Presence } from '../../src/cluster/presence.js';
import { RedisBus } from '../../src/cluster/redis-bus.js';
import { RedisPresence } from '../../src/cluster/redis-presence.js';
import { SessionRegistry, type RegisteredSession } from '../../src/session/session-registry.js';
import { REDIS_URL } from '../helpers/node-process.js';
import { redisScope } from '../helpers/redis-test.js';

/** A socket stand-in: records, in order, what the registry hands it. */
export class TestSession implements RegisteredSession {
  readonly id = randomUUID();
  /** Frames as text, and `close:<code>:<reason>`; flush sentinels included. */
  readonly events: string[] = [];
  /** Frames that came marked droppable. */
  readonly droppable = new Set<string>();
  closed: { code: number; reason: string | undefined } | null = null;

  constructor(
    readonly userId: string,
    readonly group: string | undefined,
    private readonly onClose: (s: TestSession) => void,
  ) {}

  send(frame: string | Buffer, droppable?: boolean): void {
    this.events.push(this.closed ? `after-close:${String(frame)}` : String(frame));
    if (droppable) this.droppable.add(String(frame));
  }

  close(code: number, reason?: string): void {
    if (this.closed) return;
    this.closed = { code, reason };
    this.events.push(`close:${code}:${reason ?? ''}`);
    this.onClose(this);
  }

  /** Frames received, without flush sentinels. */
  get frames(): string[] {
    return this.events.filter((e) => !e.startsWith(SENTINEL) && !e.startsWith('close:'));
  }
}

/** One bus node of a test cluster: its bus, its sessions' registry and what its local delivery saw. */
export interface BusNode {
  readonly id: string;
  readonly bus: Bus;
  /** Control messages handed to this node's local delivery. */
  readonly controls: ReceivedControl[];
  /** Cross-node sends the bus reported failed. */
  readonly failures: number;
  /** A logged-in session of `userId` on this node; `presence: false` leaves presence unaware of it (stale). */
  open(userId: string, options?: { group?: string; presence?: boolean }): Promise<TestSession>;
}

export interface BusNodes {
  nodes: BusNode[];
  close(): Promise<void>;
}

/** How long a node holds a conversation's frame back for a missing lower seq, where the implementation waits at all. */
export interface NodeOptions {
  orderHoldMs?: number;
}

/** Starts `count` nodes sharing one cluster, or fewer when the implementation has fewer (see maxNodes). */
export type CreateNodes = (count: number, options?: NodeOptions) => Promise<BusNodes>;

const SENTINEL = 'flush#';
let sentinels = 0;

/** A node as the server builds it: a SessionRegistry behind the bus, presence kept in step with sessions. */
function harness(id: string, presence: Presence) {
  const registry = new SessionRegistry<TestSession>();
  const controls: ReceivedControl[] = [];
  const local: LocalDelivery = {
    deliver: (users, frame, options) => registry.deliver(users, frame, options),
    control: (user, message) => {
      controls.push(message);
      registry.control(user, message);
    },
  };
  const open = async (userId: string, options: { group?: string; presence?: boolean } = {}) => {
    const counted = options.presence !== false;
    const s = new TestSession(userId, options.group, (closed) => {
      registry.remove(closed);
      if (counted) void presence.disconnect(userId).catch(() => undefined);
    });
    registry.add(s);
    registry.move(s, null, userId);
    if (counted) await presence.connect(userId);
    return s;
  };
  return { id, registry, controls, local, open };
}

async function waitFor(what: string, predicate: () => boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Waits until everything `from` published before now has reached `sessions`:
 * a sentinel published after it to the same users arrives after it (the
 * order guarantee), so once every open session has the sentinel, any extra
 * copy of an earlier frame would already be there.
 */
async function flush(from: readonly BusNode[], sessions: readonly TestSession[]): Promise<void> {
  const open = sessions.filter((s) => !s.closed);
  const users = [...new Set(open.map((s) => s.userId))];
  const marks = from.map((node) => {
    const mark = `${SENTINEL}${++sentinels}`;
    node.bus.publish(users, mark);
    return mark;
  });
  await waitFor('flush', () => open.every((s) => marks.every((m) => s.events.includes(m))));
}

/** Options of a conversation's `data` frame: its order key. */
const keyed = (conv: string, seq: number, extra: { exceptSession?: string } = {}) => ({ ...extra, order: { conv, seq } });
const frameOf = (conv: string, seq: number) => `${conv}#${seq}`;

const end = (code: number, extra: { reason?: string; session?: string; exceptSession?: string } = {}) => ({ kind: 'end-sessions', code, ...extra }) as const;

/**
 * The bus conformance suite, run against one implementation. Every case
 * names the nodes it wants; an implementation with fewer (`maxNodes`) maps
 * node i onto node i mod maxNodes, so a case about several nodes still checks
 * the same guarantee between sessions of one node. Cases that are only about
 * reaching another node (close of one node, stale presence) need two nodes
 * and run only where the implementation has them.
 *
 * `waits`: the implementation holds a conversation's frame back for a missing
 * lower seq (the Redis bus, where nodes publish concurrently). The
 * in-process bus does not (its publisher already publishes in seq order): the
 * cases about putting frames back in order run only where it waits.
 */
export function busSuite(name: string, createNodes: CreateNodes, { maxNodes, waits }: { maxNodes: number; waits: boolean }): void {
  const multi = maxNodes > 1;
  const run = (title: string, count: number, body: (at: (i: number) => BusNode, all: BusNode[]) => Promise<void>, options?: NodeOptions) =>
    test(`[${name}] bus: ${title}`, async () => {
      const { nodes, close } = await createNodes(count, options);
      try {
        await body((i) => nodes[i % nodes.length]!, nodes);
      } finally {
        await close();
      }
    });
  // Cases about a second node exist only for implementations that have one (the in-process bus is the whole cluster).
  const crossNode = (title: string, count: number, body: (at: (i: number) => BusNode, all: BusNode[]) => Promise<void>) => {
    if (multi) run(title, count, body);
  };

  run('a frame reaches every session of the listed users on every node exactly once; others get nothing', 3, async (at, all) => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const sa = [await at(0).open(a), await at(1).open(a), await at(1).open(a), await at(2).open(a)];
    const sb = [await at(2).open(b)];
    const sc = [await at(0).open(c), await at(1).open(c)];
    for (let i = 0; i < 3; i++) at(i).bus.publish([a, b], `f${i}`);
    await flush(all, [...sa, ...sb, ...sc]);
    for (const s of [...sa, ...sb]) assert.deepEqual(s.frames.sort(), ['f0', 'f1', 'f2']);
    for (const s of sc) assert.deepEqual(s.frames, []);
    for (const n of all) assert.equal(n.failures, 0);
  });

  run('droppable travels with the frame to every node', 2, async (at, all) => {
    const a = randomUUID();
    const sa = [await at(0).open(a), await at(1).open(a)];
    at(0).bus.publish([a], 'typing', { droppable: true });
    at(0).bus.publish([a], 'msg');
    await flush(all, sa);
    for (const s of sa) {
      assert.deepEqual(s.frames, ['typing', 'msg']);
      assert.deepEqual([...s.droppable], ['typing']);
    }
  });

  run("the excluded session does not get the frame; the user's other sessions on every node do", 2, async (at, all) => {
    const a = randomUUID();
    const [s0, s1, s2] = [await at(0).open(a), await at(1).open(a), await at(0).open(a)];
    at(0).bus.publish([a], 'not-s0', { exceptSession: s0.id });
    at(0).bus.publish([a], 'not-s1', { exceptSession: s1.id });
    await flush(all, [s0, s1, s2]);
    assert.deepEqual(s0.frames, ['not-s1']);
    assert.deepEqual(s1.frames, ['not-s0']);
    assert.deepEqual(s2.frames, ['not-s0', 'not-s1']);
  });

  run('frames from one node to one user arrive in publish order, small and room-sized publishes mixed', 2, async (at, all) => {
    const a = randomUUID();
    const room = [a, ...Array.from({ length: 40 }, () => randomUUID())];
    const sa = [await at(0).open(a), await at(1).open(a), await at(1).open(a)];
    const sent: Record<number, string[]> = { 0: [], 1: [] };
    for (let i = 0; i < 300; i++) {
      for (const from of [0, 1]) {
        const frame = `n${from}:${i}`;
        sent[from]!.push(frame);
        if (i % 7 === 0) at(from).bus.publish(room, frame);
        else at(from).bus.publish([a], frame, { droppable: i % 5 === 0 });
      }
    }
    await flush(all, sa);
    for (const s of sa) {
      const got = s.frames;
      assert.equal(got.length, 600);
      for (const from of [0, 1])
        assert.deepEqual(
          got.filter((f) => f.startsWith(`n${from}:`)),
          sent[from],
        );
    }
  });

  run('users with no session get nothing and nothing fails', 2, async (at, all) => {
    const ghosts = Array.from({ length: 40 }, () => randomUUID());
    const bystanders = [await at(0).open(randomUUID()), await at(1).open(randomUUID())];
    at(0).bus.publish(ghosts.slice(0, 3), 'few');
    at(1).bus.publish(ghosts, 'many');
    at(0).bus.publish([], 'none');
    await at(0).bus.control(ghosts[0]!, end(4001));
    await flush(all, bystanders);
    for (const s of bystanders) {
      assert.deepEqual(s.frames, []);
      assert.equal(s.closed, null);
    }
    for (const n of all) assert.equal(n.failures, 0);
  });

  run('a room-sized publish (the every-node path) reaches each session once, without the excluded one', 3, async (at, all) => {
    const users = Array.from({ length: 40 }, () => randomUUID());
    const sessions: TestSession[] = [];
    for (const [i, u] of users.entries()) {
      // 0, 1 or 2 sessions per user, on different nodes or the same one.
      for (let k = 0; k < i % 3; k++) sessions.push(await at(i + k * (i % 2)).open(u));
    }
    const except = sessions[3]!;
    at(0).bus.publish(users, 'room', { exceptSession: except.id });
    at(1).bus.publish(users, 'room2');
    await flush(all, sessions);
    for (const s of sessions) assert.deepEqual(s.frames.sort(), s === except ? ['room2'] : ['room', 'room2']);
    for (const n of all) assert.equal(n.failures, 0);
  });

  run('frames published before close() are delivered', 2, async (at) => {
    const a = randomUUID();
    const sa = [await at(0).open(a), await at(1).open(a)];
    const room = [a, ...Array.from({ length: 40 }, () => randomUUID())];
    for (let i = 0; i < 50; i++) at(0).bus.publish(i % 2 ? [a] : room, `f${i}`);
    await at(0).bus.close();
    const expected = Array.from({ length: 50 }, (_, i) => `f${i}`);
    await waitFor('frames sent before close', () => sa.every((s) => s.frames.length === 50));
    for (const s of sa) assert.deepEqual(s.frames, expected);
  });

  crossNode("after a node's close() frames and control messages from other nodes no longer reach its sessions", 3, async (at) => {
    const a = randomUUID();
    const [s1, s2] = [await at(1).open(a), await at(2).open(a)];
    await at(1).bus.close();
    at(2).bus.publish([a], 'small');
    at(2).bus.publish([a, ...Array.from({ length: 40 }, () => randomUUID())], 'room');
    at(0).bus.publish([a], 'from-0');
    await at(0).bus.control(a, end(4001, { exceptSession: s2.id }));
    await flush([at(0), at(2)], [s2]);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(s2.frames, ['small', 'room', 'from-0']);
    assert.deepEqual(s1.events, []);
  });

  run("end-sessions closes the user's sessions on every node with the code and reason; other users are untouched", 3, async (at, all) => {
    const [a, b] = [randomUUID(), randomUUID()];
    const sa = [await at(0).open(a), await at(1).open(a), await at(1).open(a), await at(2).open(a)];
    const sb = [await at(0).open(b), await at(1).open(b)];
    await at(1).bus.control(a, end(4003, { reason: 'signed out' }));
    await waitFor('sessions ended', () => sa.every((s) => s.closed));
    for (const s of sa) assert.deepEqual(s.closed, { code: 4003, reason: 'signed out' });
    for (const s of sb) assert.equal(s.closed, null);
    // Every node got it once, stamped with the node that sent it.
    for (const n of all) assert.deepEqual(n.controls, [{ kind: 'end-sessions', code: 4003, reason: 'signed out', origin: at(1).id }]);
    // Ended sessions left the registry; the others still get frames.
    at(0).bus.publish([a, b], 'after');
    await flush(all, [...sa, ...sb]);
    for (const s of sa) assert.deepEqual(s.frames, []);
    for (const s of sb) assert.deepEqual(s.frames, ['after']);
  });

  run('end-sessions with exceptSession keeps that session open, on the sending node or another', 2, async (at, all) => {
    const [a, b] = [randomUUID(), randomUUID()];
    const sa = [await at(0).open(a), await at(1).open(a), await at(1).open(a), await at(0).open(a)];
    const sb = [await at(0).open(b), await at(1).open(b), await at(0).open(b)];
    const keepA = sa[2]!; // another node than the sender's
    const keepB = sb[2]!; // the sender's node
    await at(0).bus.control(a, end(4000, { exceptSession: keepA.id }));
    await at(0).bus.control(b, end(4000, { exceptSession: keepB.id }));
    const ended = [...sa, ...sb].filter((s) => s !== keepA && s !== keepB);
    await waitFor('sessions ended', () => ended.every((s) => s.closed));
    for (const s of ended) assert.deepEqual(s.closed, { code: 4000, reason: undefined });
    assert.equal(keepA.closed, null);
    assert.equal(keepB.closed, null);
    at(1).bus.publish([a, b], 'still-here');
    await flush(all, [keepA, keepB]);
    assert.deepEqual(keepA.frames, ['still-here']);
    assert.deepEqual(keepB.frames, ['still-here']);
  });

  run('end-sessions with session ends only that session group (or the session of that id)', 2, async (at, all) => {
    const a = randomUUID();
    const g1 = [await at(0).open(a, { group: 'g1' }), await at(1).open(a, { group: 'g1' })];
    const g2 = await at(1).open(a, { group: 'g2' });
    const single = await at(0).open(a);
    const other = await at(1).open(a);
    await at(1).bus.control(a, end(4004, { session: 'g1' }));
    await at(1).bus.control(a, end(4004, { session: single.id }));
    await waitFor('sessions ended', () => [...g1, single].every((s) => s.closed));
    await flush(all, [g2, other]);
    assert.equal(g2.closed, null);
    assert.equal(other.closed, null);
    for (const s of [...g1, single]) assert.equal(s.closed?.code, 4004);
  });

  run('a frame published just before end-sessions reaches every session before it closes', 2, async (at) => {
    const a = randomUUID();
    const sa = [await at(0).open(a), await at(1).open(a)];
    at(0).bus.publish([a], 'bye');
    at(0).bus.publish([a, ...Array.from({ length: 40 }, () => randomUUID())], 'bye-room');
    await at(0).bus.control(a, end(4003));
    await waitFor('sessions ended', () => sa.every((s) => s.closed));
    for (const s of sa) assert.deepEqual(s.events, ['bye', 'bye-room', 'close:4003:']);
  });

  crossNode('end-sessions reaches a node whose presence entry for the user is missing', 2, async (at) => {
    const a = randomUUID();
    const hidden = await at(1).open(a, { presence: false });
    await at(0).bus.control(a, end(4003));
    await waitFor('session ended', () => hidden.closed !== null);
    assert.equal(hidden.closed?.code, 4003);
  });

  /** Frames of `conv` a session got, as seqs in arrival order. */
  const seqsOf = (s: TestSession, conv: string) => s.frames.filter((f) => f.startsWith(`${conv}#`)).map((f) => Number(f.slice(conv.length + 1)));

  if (waits)
    run(
      "a conversation's frames published out of seq order by different nodes reach every session in seq order; the sending socket is skipped",
      3,
      async (at) => {
        const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
        const sa = [await at(0).open(a), await at(1).open(a), await at(2).open(a)];
        const sb = await at(1).open(b);
        const room = [a, b, ...Array.from({ length: 40 }, () => randomUUID())];
        const everyone = [...sa, sb];
        at(0).bus.publish([a, b], frameOf(c, 1), keyed(c, 1));
        await waitFor('seq 1', () => everyone.every((s) => seqsOf(s, c).length === 1));
        // Seq 2 is stored first but published last: node 0 gets 3 and 4 from the others before its own 2.
        at(1).bus.publish(room, frameOf(c, 3), keyed(c, 3, { exceptSession: sa[1]!.id }));
        at(2).bus.publish([a, b], frameOf(c, 4), keyed(c, 4));
        await new Promise((r) => setTimeout(r, 100));
        at(0).bus.publish([a, b], frameOf(c, 2), keyed(c, 2));
        const expected = (s: TestSession) => (s === sa[1] ? [1, 2, 4] : [1, 2, 3, 4]);
        await waitFor('seq 4', () => everyone.every((s) => seqsOf(s, c).length === expected(s).length));
        for (const s of everyone) assert.deepEqual(seqsOf(s, c), expected(s));
      },
    );

  run(
    'a missing seq holds later frames back at most the hold; a frame older than one delivered is dropped, never delivered out of order',
    2,
    async (at, all) => {
      const [a, c] = [randomUUID(), randomUUID()];
      const sa = [await at(0).open(a), await at(1).open(a)];
      at(0).bus.publish([a], frameOf(c, 1), keyed(c, 1));
      await waitFor('seq 1', () => sa.every((s) => seqsOf(s, c).length === 1));
      const started = performance.now();
      at(1).bus.publish([a], frameOf(c, 3), keyed(c, 3)); // 2 never comes in time
      await waitFor('seq 3 without 2', () => sa.every((s) => seqsOf(s, c).length === 2));
      const held = performance.now() - started;
      if (waits) assert.ok(held >= 150, `held ${held} ms`);
      at(0).bus.publish([a], frameOf(c, 2), keyed(c, 2)); // too late
      at(0).bus.publish([a], frameOf(c, 4), keyed(c, 4));
      await waitFor('seq 4', () => sa.every((s) => seqsOf(s, c).length === 3));
      await flush(all, sa);
      for (const s of sa) assert.deepEqual(seqsOf(s, c), [1, 3, 4]);
      for (const n of all) assert.equal(n.failures, 0);
    },
    { orderHoldMs: 200 },
  );

  run('a gap holds back only its own conversation: frames without a key and other conversations go on', 2, async (at, all) => {
    const [a, c, d] = [randomUUID(), randomUUID(), randomUUID()];
    const sa = [await at(0).open(a), await at(1).open(a)];
    at(0).bus.publish([a], frameOf(c, 1), keyed(c, 1));
    await waitFor('seq 1', () => sa.every((s) => seqsOf(s, c).length === 1));
    at(0).bus.publish([a], frameOf(c, 3), keyed(c, 3));
    at(1).bus.publish([a], 'edit');
    at(1).bus.publish([a], frameOf(d, 9), keyed(d, 9));
    await flush(all, sa);
    for (const s of sa) {
      assert.ok(s.frames.includes('edit') && s.frames.includes(frameOf(d, 9)));
      assert.deepEqual(seqsOf(s, c), waits ? [1] : [1, 3]);
    }
    at(1).bus.publish([a], frameOf(c, 2), keyed(c, 2));
    await waitFor('gap filled', () => sa.every((s) => seqsOf(s, c).length >= (waits ? 3 : 2)));
    for (const s of sa) assert.deepEqual(seqsOf(s, c), waits ? [1, 2, 3] : [1, 3]);
  });

  run(
    'a node that has not seen a conversation (a member joined later, the node just started) delivers its first frame at once, whatever its seq',
    2,
    async (at) => {
      const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
      const sa = await at(0).open(a);
      const sb = await at(1).open(b);
      for (let seq = 1; seq <= 3; seq++) at(0).bus.publish([a], frameOf(c, seq), keyed(c, seq));
      // b joins: seq 4 is the first of the conversation b's node sees; the hold below would time this out if it waited.
      at(0).bus.publish([a, b], frameOf(c, 4), keyed(c, 4));
      await waitFor('seq 4 for the new member', () => seqsOf(sb, c).length === 1, 2500);
      at(1).bus.publish([a, b], frameOf(c, 5), keyed(c, 5));
      await waitFor('seq 5', () => seqsOf(sa, c).length === 5 && seqsOf(sb, c).length === 2);
      assert.deepEqual(seqsOf(sa, c), [1, 2, 3, 4, 5]);
      assert.deepEqual(seqsOf(sb, c), [4, 5]);
    },
    { orderHoldMs: 5000 },
  );
}

// The in-process bus is the bus of a single-node server: it has no peer to
// reach, so it is modelled as a cluster of one node (every node index is that
// node) and runs every case that does not need a second node.
busSuite(
  'in-process',
  async () => {
    const presence = new LocalPresence();
    const h = harness('local', presence);
    const node: BusNode = { id: h.id, bus: new LocalBus(h.local, h.id), controls: h.controls, failures: 0, open: h.open };
    return { nodes: [node], close: () => node.bus.close() };
  },
  { maxNodes: 1, waits: false },
);

if (REDIS_URL) {
  const log = pino({ level: 'silent' });
  busSuite(
    'redis',
    async (count, options = {}) => {
      const scope = redisScope();
      const nodes: BusNode[] = [];
      for (let i = 0; i < count; i++) {
        const id = `n${i}`;
        const pub = scope.connection();
        const presence = new RedisPresence(pub, scope.keys, id);
        const h = harness(id, presence);
        let failures = 0;
        const bus = new RedisBus(
          pub,
          scope.connection(),
          scope.keys,
          id,
          presence,
          h.local,
          { published: () => {}, failed: () => void failures++, outOfOrder: () => {} },
          log,
          { orderHoldMs: options.orderHoldMs ?? 1500 },
        );
        await bus.start();
        nodes.push({
          id,
          bus,
          controls: h.controls,
          get failures() {
            return failures;
          },
          open: h.open,
        });
      }
      return {
        nodes,
        async close() {
          await Promise.all(nodes.map((n) => n.bus.close()));
          await scope.close();
        },
      };
    },
    { maxNodes: Infinity, waits: true },
  );
} else {
  test('redis bus conformance', { skip: 'MVCHAT_TEST_REDIS_URL not set' }, () => {});
}
