import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends, startServer } from '../helpers/server.js';
import { dmBetween, historyAfter, roomWith } from '../helpers/conversations.js';
import type { TestClient } from '../helpers/client.js';

/** Resolves once `c` holds `n` data frames of `conv`, and returns their seqs in arrival order. */
async function dataSeqs(c: TestClient, conv: string, n: number): Promise<number[]> {
  const seqs = () => c.frames.filter((f) => f.data?.conv === conv).map((f) => f.data.seq as number);
  if (seqs().length < n) await c.waitFor(() => seqs().length >= n, 30_000);
  return seqs();
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

for (const backend of backends()) {
  test(`[${backend}] 200 pipelined sends from one client get seqs 1..200 and arrive in order`, async () => {
    const s = await startServer(backend, { frameRate: 10_000 });
    try {
      const dana = await s.user();
      const eli = await s.user();
      const conv = await dmBetween(s, dana, eli);
      // All 200 frames are written before the first reply is read.
      const replies = await Promise.all(range(1, 200).map((i) => dana.client.request('send', { conv, content: { v: 1, text: `m${i}` } }, 30_000)));
      assert.deepEqual(
        replies.map((r) => r.params.seq),
        range(1, 200),
      );
      assert.deepEqual(await dataSeqs(eli.client, conv, 200), range(1, 200));
      const texts = eli.client.frames.filter((f) => f.data).map((f) => f.data.content.text);
      assert.deepEqual(
        texts,
        range(1, 200).map((i) => `m${i}`),
      );
      const history = await historyAfter(eli.client, conv);
      assert.deepEqual(
        history.map((m) => m.seq),
        range(1, 200),
      );
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] concurrent senders: every recipient sees the room's data frames in seq order`, async () => {
    const s = await startServer(backend, { frameRate: 10_000 });
    try {
      const owner = await s.user();
      const senders = [await s.user(), await s.user(), await s.user(), await s.user()];
      const reader = await s.user();
      const room = await roomWith(s, owner, [...senders, reader]);
      const perSender = 40;
      const total = perSender * senders.length;
      const all = await Promise.all(
        senders.map((u, k) =>
          Promise.all(range(1, perSender).map((i) => u.client.request('send', { conv: room, content: { v: 1, text: `${k}:${i}` } }, 30_000))),
        ),
      );
      const seqs = all
        .flat()
        .map((r) => r.params.seq as number)
        .sort((a, b) => a - b);
      assert.deepEqual(seqs, range(1, total));
      // Per sender, seqs follow the order the sender wrote them.
      for (const replies of all) {
        const mine = replies.map((r) => r.params.seq as number);
        assert.deepEqual(
          mine,
          [...mine].sort((a, b) => a - b),
        );
      }
      assert.deepEqual(await dataSeqs(reader.client, room, total), range(1, total));
      assert.deepEqual(await dataSeqs(owner.client, room, total), range(1, total));
      // A sender gets everyone's messages but its own, still in order.
      const got = await dataSeqs(senders[0]!.client, room, total - perSender);
      assert.deepEqual(
        got,
        [...got].sort((a, b) => a - b),
      );
    } finally {
      await s.close();
    }
  });
}
