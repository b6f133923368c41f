/** The socket closed (or was never open) before the awaited reply or frame came. */
export class ConnectionClosedError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(`connection closed (${code}${reason ? ` ${reason}` : ''})`);
    this.name = 'ConnectionClosedError';
  }
}

/** No reply or matching frame within the allowed time. */
export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}
