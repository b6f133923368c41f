/**
 * The error a handler throws to answer its request with a `ctrl` error.
 * Only codes and texts from the catalog (errors.ts) reach the wire.
 */
export class OpError extends Error {
  constructor(
    readonly code: number,
    readonly text: string,
  ) {
    super(text);
    this.name = 'OpError';
  }
}
