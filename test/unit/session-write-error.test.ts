import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Session, type SessionParts } from '../../src/session/session.js';
import type { SocketLike } from '../../src/session/socket.js';

/** A socket whose writes fail, as a broken TCP connection's do. */
class FailingSocket implements SocketLike {
  closedWith: number | undefined;
  bufferedAmount = 0;
  send(_data: string, cb: (err?: Error) => void): void {
    setImmediate(() => cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })));
  }
  close(code: number): void {
    this.closedWith = code;
  }
  terminate(): void {}
  ping(): void {}
}

/** A socket that accepts every write and reports a fixed backlog. */
function backloggedSocket(bufferedAmount: number): SocketLike & { sent: string[]; closedWith?: number } {
  return {
    bufferedAmount,
    sent: [],
    send(d) {
      this.sent.push(String(d));
    },
    close(code) {
      this.closedWith = code;
    },
    terminate() {},
    ping() {},
  };
}

const quietHooks: SessionParts = {
  frames: { handleFrame: async () => {}, rejectFrame: () => {} },
  events: { userChanged: async () => {}, closed: () => {} },
};
const limits = { frameRate: 30, authTimeoutMs: 60_000, outboundSoftLimit: 1024, outboundHardLimit: 4096 };

test('a socket write error is logged with the session id and closes the session (DEFECTS 13)', async () => {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  let closedHook = 0;
  const hooks: SessionParts = {
    frames: { handleFrame: async () => {}, rejectFrame: () => {} },
    events: { userChanged: async () => {}, closed: () => void closedHook++ },
  };
  const socket = new FailingSocket();
  const session = new Session(socket, '127.0.0.1', hooks, { frameRate: 30, authTimeoutMs: 60_000, outboundSoftLimit: 1024, outboundHardLimit: 4096 }, log);
  session.send('{"pres":{"user":"x","what":"on"}}\n');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(socket.closedWith, 1011);
  assert.equal(session.closed, true);
  assert.equal(closedHook, 1);
  const entry = lines.find((l) => l.msg === 'socket write failed');
  assert.ok(entry, 'write failure logged');
  assert.equal(entry.sid, session.id);
  assert.match(String(entry.err), /EPIPE/);
  // Sending to a closed session is a harmless no-op (DEFECTS 3).
  assert.doesNotThrow(() => session.send('{}\n'));
});

test('droppable frames are dropped past the soft limit; the hard limit closes with 4009 (DEFECTS 7)', () => {
  const socket = backloggedSocket(2000);
  const sent = socket.sent;
  const session = new Session(socket, '::1', quietHooks, limits, pino({ level: 'silent' }));
  session.send('typing\n', true);
  assert.equal(sent.length, 0);
  assert.equal(session.droppedFrames, 1);
  session.send('data\n');
  assert.equal(sent.length, 1);
  session.send('x'.repeat(3000));
  assert.equal(socket.closedWith, 4009);
});

test('one reply larger than the hard limit still reaches a reader that keeps up', () => {
  const socket = backloggedSocket(0);
  const sent = socket.sent;
  const session = new Session(socket, '::1', quietHooks, limits, pino({ level: 'silent' }));
  session.send('x'.repeat(10_000));
  assert.equal(sent.length, 1);
  assert.equal(socket.closedWith, undefined);
});
