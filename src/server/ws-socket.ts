import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { SocketLike } from '../session/socket.js';

// Every frame of the protocol is text, including those handed over as UTF-8 bytes.
const TEXT = { binary: false } as const;

/** A `ws` socket as the session sees it, with its TCP socket's cork for batched writes. */
export class WsSocket implements SocketLike {
  readonly #tcp: Socket | undefined;

  constructor(private readonly ws: WebSocket) {
    // `ws` keeps the TCP socket it was upgraded on here; the library has no public accessor for it.
    this.#tcp = (ws as unknown as { _socket?: Socket })._socket;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  send(data: string | Buffer, callback: (err?: Error) => void): void {
    this.ws.send(data, TEXT, callback);
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  ping(): void {
    this.ws.ping();
  }

  cork(): void {
    this.#tcp?.cork();
  }

  uncork(): void {
    this.#tcp?.uncork();
  }
}
