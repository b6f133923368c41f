/**
 * The little the client needs from a WebSocket, so the `ws` package (Node)
 * and a browser WebSocket can both sit behind it.
 */

/** What the socket reports to its owner. */
export interface SocketEvents {
  /** One text frame (binary frames are decoded as UTF-8). */
  message(text: string): void;
  /** The socket closed, for whatever reason; called once. */
  close(code: number, reason: string): void;
}

export interface ClientSocket {
  readonly isOpen: boolean;
  send(text: string): void;
  close(code?: number, reason?: string): void;
}

/**
 * Opens a socket to `url` and resolves once it is open; rejects if it cannot.
 * `events` is wired before the socket opens so that no frame is missed.
 */
export type SocketOpener = (url: string, events: SocketEvents) => Promise<ClientSocket>;
