import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { backends, startServer } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';
import { historyAfter, roomWith } from '../helpers/conversations.js';
import { CloseCode } from '../../src/protocol/close-codes.js';

const BATCH = 10;
const MAX_MESSAGES = 3000;

for (const backend of backends()) {
  test(`[${backend}] slow reader: closed with 4009 while others keep receiving; catches up by seq after reconnect`, { timeout: 180_000 }, async () => {
    const s = await startServer(backend, { frameRate: 100_000, outboundSoftLimit: 64 * 1024, outboundHardLimit: 1024 * 1024 });
    try {
      const sender = await s.user();
      const fast = await s.user();
      const slow = await s.user();
      const room = await roomWith(s, sender, [fast, slow]);
      const socket = (slow.client.ws as unknown as { _socket: Socket })._socket;
      socket.pause();

      const big = 'x'.repeat(30_000);
      let sent = 0;
      while (s.app.registry.hasUser(slow.id) && sent < MAX_MESSAGES) {
        const replies = await Promise.all(
          Array.from({ length: BATCH }, (_, i) => sender.client.request('send', { conv: room, content: { v: 1, text: `${sent + i + 1} ${big}` } }, 30_000)),
        );
        assert.ok(replies.every((r) => r.code === 202));
        sent += BATCH;
        // Typing is droppable: it must never be what closes the slow reader.
        sender.client.send({ typing: { conv: room } });
      }
      assert.equal(s.app.registry.hasUser(slow.id), false, `slow reader still connected after ${sent} messages`);

      // The fast reader got everything, in order.
      const fastSeqs = () => fast.client.frames.filter((f) => f.data?.conv === room).map((f) => f.data.seq as number);
      if (fastSeqs().length < sent) await fast.client.waitFor(() => fastSeqs().length >= sent, 60_000);
      assert.deepEqual(
        fastSeqs(),
        Array.from({ length: sent }, (_, i) => i + 1),
      );

      // The slow client drains what reached it, then sees the documented close code.
      socket.resume();
      const closed = await slow.client.closed;
      assert.equal(closed.code, CloseCode.SLOW_CONSUMER);
      const received = slow.client.frames.filter((f) => f.data?.conv === room).map((f) => f.data.seq as number);
      assert.ok(received.length < sent);
      const lastSeen = received.length > 0 ? Math.max(...received) : 0;

      const again = await TestClient.connect(s.url);
      const login = await again.request('login', { scheme: 'token', secret: slow.token });
      assert.equal(login.code, 200);
      const gap = await historyAfter(again, room, lastSeen);
      const all = [...new Set([...received, ...gap.map((m) => m.seq as number)])].sort((a, b) => a - b);
      assert.deepEqual(
        all,
        Array.from({ length: sent }, (_, i) => i + 1),
      );
      const last = gap[gap.length - 1]!;
      assert.ok(Buffer.from(last.content, 'base64').toString().startsWith(`{"v":1,"text":"${sent} `));
      again.close();
    } finally {
      await s.close();
    }
  });
}
