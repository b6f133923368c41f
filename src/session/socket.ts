/** The little the session needs of a WebSocket; the `ws` object stays in the transport. */
export interface SocketLike {
  send(data: string, callback: (err?: Error) => void): void;
  close(code: number, reason: string): void;
  terminate(): void;
  ping(): void;
  /** Bytes queued for the peer and not yet handed to the kernel. */
  readonly bufferedAmount: number;
}
