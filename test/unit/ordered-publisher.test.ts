import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { OrderedPublisher } from '../../src/runtime/ordered-publisher.js';

const log = pino({ level: 'silent' });

function recorder() {
  const delivered: number[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  const deliver = (seq: number) => async () => {
    delivered.push(seq);
    waiters = waiters.filter((w) => (delivered.length >= w.n ? (w.resolve(), false) : true));
  };
  const until = (n: number) => (delivered.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })));
  return { delivered, deliver, until };
}

test('ordered publisher: a later seq that commits first waits for the earlier one', async () => {
  const p = new OrderedPublisher(log);
  const r = recorder();
  for (const seq of [1, 2, 3]) p.reserve('c', seq);
  p.ready('c', 3, r.deliver(3));
  p.ready('c', 2, r.deliver(2));
  await new Promise((res) => setImmediate(res));
  assert.deepEqual(r.delivered, []);
  p.ready('c', 1, r.deliver(1));
  await r.until(3);
  assert.deepEqual(r.delivered, [1, 2, 3]);
});

test('ordered publisher: a rolled-back seq stops holding later ones; seqs reserved elsewhere are not waited for', async () => {
  const p = new OrderedPublisher(log);
  const r = recorder();
  p.reserve('c', 1);
  p.reserve('c', 2);
  p.ready('c', 2, r.deliver(2));
  p.cancel('c', 1);
  await r.until(1);
  p.reserve('c', 5); // 3 and 4 were allocated by another node
  p.ready('c', 5, r.deliver(5));
  await r.until(2);
  assert.deepEqual(r.delivered, [2, 5]);
});

test('ordered publisher: a seq never released stops holding the others after the hold time, and is delivered late', async () => {
  const p = new OrderedPublisher(log, 50);
  const r = recorder();
  // The hold timer is unref'd (it never keeps a server alive); keep this test's loop running.
  const keepAlive = setTimeout(() => {}, 5000);
  p.reserve('c', 1);
  p.reserve('c', 2);
  p.ready('c', 2, r.deliver(2));
  await r.until(1);
  assert.deepEqual(r.delivered, [2]);
  p.ready('c', 1, r.deliver(1));
  await r.until(2);
  assert.deepEqual(r.delivered, [2, 1]);
  clearTimeout(keepAlive);
});
