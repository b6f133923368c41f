import assert from 'node:assert/strict';
import type WebSocket from 'ws';
import { ConnectionClosedError, MvchatClient, WsSocket, basicSecret, type ServerFrame } from '../../client/index.js';

export type Frame = Record<string, any>;

/**
 * The protocol client for tests: records every frame it receives (replies
 * included, in arrival order) so `waitFor` can also match frames that came
 * before the call.
 */
export class TestClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];

  private constructor(
    readonly client: MvchatClient,
    readonly ws: WebSocket,
  ) {
    this.closed = client.closed;
    client.onFrame((frame) => this.#record(frame), { replies: true });
  }

  static async connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    let socket: WsSocket | undefined;
    const client = await MvchatClient.connect(url, { open: async (u, events) => (socket = await WsSocket.open(u, events, options)) });
    return new TestClient(client, socket!.ws);
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  send(frame: Frame): void {
    this.client.send(frame);
  }

  /** Sends `{id, [op]: body}` and resolves with the matching `ctrl`. */
  async request(op: string, body: unknown, timeoutMs = 10_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    try {
      return await this.client.request(op, body, { timeoutMs });
    } catch (err) {
      // A request on a socket that closed fails at its timeout, like any other wait here.
      if (err instanceof ConnectionClosedError) await new Promise((resolve) => setTimeout(resolve, deadline - Date.now()));
      throw this.#timedOut();
    }
  }

  /** Resolves with the first frame (already received or future) matching `pred`. */
  waitFor(pred: (f: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    const seen = this.frames.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(this.#timedOut()), timeoutMs);
      this.#waiters.push({ pred, resolve: (f) => (clearTimeout(timer), resolve(f)) });
    });
  }

  /** Like waitFor, but only frames that arrive after this call. */
  next(pred: (f: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    const start = this.frames.length;
    return this.waitFor((f) => this.frames.indexOf(f) >= start && pred(f), timeoutMs);
  }

  close(): void {
    this.client.close();
  }

  #record(frame: ServerFrame): void {
    this.frames.push(frame);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.pred(frame)) return true;
      w.resolve(frame);
      return false;
    });
  }

  #timedOut(): Error {
    return new Error(`timed out waiting for a frame; got ${JSON.stringify(this.frames.slice(-5))}`);
  }
}

export function basic(name: string, password: string): string {
  return basicSecret(name, password);
}

/** The body of a live frame without its sync cursor, once checked that it has one. */
export function uncursored(body: Record<string, any>): Record<string, any> {
  assert.match(String(body.cursor), /^[0-9]+$/, `no cursor in ${JSON.stringify(body)}`);
  const { cursor: _cursor, ...rest } = body;
  return rest;
}
