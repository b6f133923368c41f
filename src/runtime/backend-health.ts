/** Tells a backend outage (answered 503) from a bug (answered with the op's failure). */
export class BackendHealth {
  isUnavailable(err: unknown): boolean {
    const e = err as { code?: unknown; message?: unknown } | null;
    const code = typeof e?.code === 'string' ? e.code : '';
    // Connection failures and PostgreSQL's admin-shutdown / cannot-connect classes (57P0x, 08xxx).
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code)) return true;
    if (/^(57P0|08)/.test(code)) return true;
    const msg = typeof e?.message === 'string' ? e.message : '';
    return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(msg);
  }
}
