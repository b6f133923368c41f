import WebSocket from 'ws';
import type { ClientSocket, SocketEvents, SocketOpener } from './socket.js';

/** A `ClientSocket` over Node's `ws` package; `ws` stays reachable for callers that need more. */
export class WsSocket implements ClientSocket {
  private constructor(readonly ws: WebSocket) {}

  /** Connects with `ws` client options (headers, origin, perMessageDeflate, ...). */
  static open(url: string, events: SocketEvents, options: WebSocket.ClientOptions = {}): Promise<WsSocket> {
    const ws = new WebSocket(url, options);
    ws.on('message', (data) => events.message(data.toString()));
    ws.once('close', (code, reason) => events.close(code, reason.toString()));
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new WsSocket(ws)));
      // Stays attached after the open: `ws` throws on an 'error' nobody listens to,
      // and every error is followed by 'close', which is what the client acts on.
      ws.on('error', reject);
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(text: string): void {
    this.ws.send(text);
  }

  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }
}

/** A `SocketOpener` that uses `ws` with the given client options. */
export function wsOpener(options: WebSocket.ClientOptions = {}): SocketOpener {
  return (url, events) => WsSocket.open(url, events, options);
}
