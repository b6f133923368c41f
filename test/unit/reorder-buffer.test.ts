import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeliveryOptions, LocalDelivery, ReceivedControl } from '../../src/cluster/bus.js';
import { ReorderBuffer, type ReorderOptions } from '../../src/cluster/reorder-buffer.js';

interface Delivered {
  users: readonly string[];
  frame: string;
  options: DeliveryOptions;
}

function setup(options: Partial<ReorderOptions> = {}) {
  const delivered: Delivered[] = [];
  const controls: string[] = [];
  const skipped: [string, number, number][] = [];
  const dropped: [string, number][] = [];
  const local: LocalDelivery = {
    deliver: (users, frame, opts) => void delivered.push({ users, frame, options: opts }),
    control: (user: string, m: ReceivedControl) => void controls.push(`${user}:${m.kind}`),
  };
  const buf = new ReorderBuffer(local, {
    holdMs: 40,
    events: { skipped: (c, from, to) => void skipped.push([c, from, to]), dropped: (c, s) => void dropped.push([c, s]) },
    ...options,
  });
  const send = (conv: string, seq: number, users: readonly string[] = ['u'], extra: DeliveryOptions = {}) =>
    buf.deliver(users, `${conv}#${seq}`, { ...extra, order: { conv, seq } });
  const frames = () => delivered.map((d) => d.frame);
  return { buf, delivered, controls, skipped, dropped, send, frames };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('reorder buffer: frames in seq order, and a conversation seen for the first time, go straight through', (t) => {
  const b = setup();
  t.after(() => b.buf.close());
  b.send('c', 7); // first sight: starts here, nothing lower is waited for
  assert.deepEqual(b.frames(), ['c#7']);
  b.send('c', 8);
  b.send('c', 9);
  assert.deepEqual(b.frames(), ['c#7', 'c#8', 'c#9']);
  assert.deepEqual([b.skipped, b.dropped], [[], []]);
});

test('reorder buffer: a frame above a gap waits for the missing seq, then both go in order', async (t) => {
  const b = setup({ holdMs: 300 });
  t.after(() => b.buf.close());
  b.send('c', 1);
  b.send('c', 4);
  b.send('c', 3);
  assert.deepEqual(b.frames(), ['c#1']);
  await sleep(10);
  b.send('c', 2);
  assert.deepEqual(b.frames(), ['c#1', 'c#2', 'c#3', 'c#4']);
  await sleep(350);
  assert.deepEqual([b.skipped, b.dropped], [[], []], 'nothing given up on once the gap filled');
});

test('reorder buffer: a gap that never fills is given up after the hold; the late frame is then dropped', async (t) => {
  const b = setup();
  t.after(() => b.buf.close());
  b.send('c', 1);
  const start = performance.now();
  b.send('c', 3);
  b.send('c', 4);
  while (b.frames().length < 3) await sleep(2);
  const waited = performance.now() - start;
  assert.ok(waited >= 38, `held ${waited} ms`);
  assert.deepEqual(b.frames(), ['c#1', 'c#3', 'c#4']);
  assert.deepEqual(b.skipped, [['c', 2, 2]]);
  b.send('c', 2); // too late: never out of order
  b.send('c', 4); // a duplicate likewise
  b.send('c', 5);
  assert.deepEqual(b.frames(), ['c#1', 'c#3', 'c#4', 'c#5']);
  assert.deepEqual(b.dropped, [
    ['c', 2],
    ['c', 4],
  ]);
});

test('reorder buffer: each held frame waits at most the hold from its own arrival', async (t) => {
  const b = setup({ holdMs: 200 });
  t.after(() => b.buf.close());
  b.send('c', 1);
  b.send('c', 3); // waits for 2
  await sleep(100);
  b.send('c', 6); // waits for 4 and 5, from 100 ms later than 3
  while (b.frames().length < 2) await sleep(2);
  assert.deepEqual(b.frames(), ['c#1', 'c#3'], "3's hold is over, 6's is not");
  b.send('c', 5);
  assert.deepEqual(b.frames(), ['c#1', 'c#3'], '4 still missing');
  await sleep(250);
  assert.deepEqual(b.frames(), ['c#1', 'c#3', 'c#5', 'c#6']);
  assert.deepEqual(b.skipped, [
    ['c', 2, 2],
    ['c', 4, 4],
  ]);
});

test('reorder buffer: a held frame keeps its recipients and options (the sender\u2019s own session, droppable)', async (t) => {
  const b = setup();
  t.after(() => b.buf.close());
  b.send('c', 1, ['a', 'b']);
  // A member who joined at seq 3 is listed from there on; the sender's socket is skipped.
  b.send('c', 3, ['a', 'b', 'new'], { exceptSession: 's1' });
  b.send('c', 2, ['a', 'b'], { droppable: true });
  assert.deepEqual(
    b.delivered.map((d) => [d.frame, d.users, d.options.exceptSession, d.options.droppable]),
    [
      ['c#1', ['a', 'b'], undefined, undefined],
      ['c#2', ['a', 'b'], undefined, true],
      ['c#3', ['a', 'b', 'new'], 's1', undefined],
    ],
  );
});

test('reorder buffer: a gap holds only its own conversation; frames without a key and control messages pass', (t) => {
  const b = setup();
  t.after(() => b.buf.close());
  b.send('c', 1);
  b.send('c', 3);
  b.send('d', 10);
  b.buf.deliver(['u'], 'typing', { droppable: true });
  b.buf.deliver(['u'], 'edit', {});
  b.buf.control('u', { kind: 'end-sessions', code: 4000, origin: 'n' });
  assert.deepEqual(b.frames(), ['c#1', 'd#10', 'typing', 'edit']);
  assert.deepEqual(b.controls, ['u:end-sessions']);
});

test('reorder buffer: with hold 0 nothing waits, and a frame older than one delivered is still dropped', (t) => {
  const b = setup({ holdMs: 0 });
  t.after(() => b.buf.close());
  b.send('c', 1);
  b.send('c', 3);
  b.send('c', 2);
  b.send('c', 4);
  assert.deepEqual(b.frames(), ['c#1', 'c#3', 'c#4']);
  assert.deepEqual(b.skipped, [['c', 2, 2]]);
  assert.deepEqual(b.dropped, [['c', 2]]);
});

test('reorder buffer: held frames per conversation are bounded; one more releases the lowest', (t) => {
  const b = setup({ holdMs: 10_000, maxHeld: 3 });
  t.after(() => b.buf.close());
  b.send('c', 1);
  for (const s of [3, 5, 7]) b.send('c', s);
  assert.deepEqual(b.frames(), ['c#1']);
  b.send('c', 9);
  assert.deepEqual(b.frames(), ['c#1', 'c#3']);
  b.send('c', 4);
  assert.deepEqual(b.frames(), ['c#1', 'c#3', 'c#4', 'c#5']);
});

test('reorder buffer: close hands on every held frame in order', (t) => {
  const b = setup({ holdMs: 10_000 });
  t.after(() => b.buf.close());
  b.send('c', 1);
  b.send('c', 4);
  b.send('c', 3);
  b.send('d', 1);
  b.send('d', 5);
  b.buf.close();
  assert.deepEqual(b.frames(), ['c#1', 'd#1', 'c#3', 'c#4', 'd#5']);
  b.send('c', 2);
  assert.deepEqual(b.frames().at(-1), 'c#2', 'after close, frames pass through');
});

test('reorder buffer: idle conversations are forgotten after one to two idle periods; held ones never', async (t) => {
  const b = setup({ holdMs: 10_000, idleMs: 30 });
  t.after(() => b.buf.close());
  b.send('idle', 5);
  b.send('busy', 1);
  b.send('busy', 3); // held across rotations
  await sleep(100);
  b.send('idle', 2); // forgotten: a first sight again
  assert.deepEqual(b.frames(), ['idle#5', 'busy#1', 'idle#2']);
  b.send('busy', 2);
  assert.deepEqual(b.frames(), ['idle#5', 'busy#1', 'idle#2', 'busy#2', 'busy#3']);
});

test('reorder buffer: at most maxConversations are remembered, the least recently seen forgotten first', (t) => {
  const b = setup({ maxConversations: 4 });
  t.after(() => b.buf.close());
  b.send('x', 5);
  b.send('y', 1);
  b.send('z', 1);
  b.send('x', 6); // seen again: kept ahead of y and z
  b.send('w', 1);
  b.send('v', 1);
  b.send('x', 2); // still known: too late, dropped
  b.send('y', 0); // forgotten: a first sight, delivered
  assert.deepEqual(b.dropped, [['x', 2]]);
  assert.ok(b.frames().includes('y#0'));
  for (let i = 0; i < 1000; i++) b.send(`many${i}`, 1);
  assert.ok(b.buf.conversations <= 4, `${b.buf.conversations} remembered`);
});
