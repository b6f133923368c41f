/** The little the session needs of a WebSocket; the `ws` object stays in the transport. */
export interface SocketLike {
  /** Sends one text frame; a Buffer holds the frame's UTF-8 bytes (encoded once for many sockets). */
  send(data: string | Buffer, callback: (err?: Error) => void): void;
  close(code: number, reason: string): void;
  terminate(): void;
  ping(): void;
  /** Bytes queued for the peer and not yet handed to the kernel. */
  readonly bufferedAmount: number;
  /** Holds writes until `uncork`, so several frames leave in one system call. Optional for test sockets. */
  cork?(): void;
  uncork?(): void;
}
