interface Pending {
  work: () => unknown;
  resolve: (value: any) => void;
  reject: (err: unknown) => void;
}

interface Connection {
  exclusive<T>(fn: () => T): Promise<T>;
  transaction<T>(fn: () => T): T;
  savepoint<T>(fn: () => T): T;
}

/**
 * Group commit for SQLite: writes queued in the same turn of the event loop
 * run in one transaction (one commit instead of many), each in its own
 * savepoint so one failing write does not undo the others. Every caller is
 * answered only after the commit, so a resolved write is a stored write.
 */
export class GroupCommit {
  #queue: Pending[] = [];

  constructor(private readonly conn: Connection) {}

  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve, reject });
      if (this.#queue.length === 1) setImmediate(() => void this.#flush());
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    const results: ({ ok: true; value: unknown } | { ok: false; err: unknown })[] = [];
    try {
      await this.conn.exclusive(() =>
        this.conn.transaction(() => {
          for (const p of batch) {
            try {
              results.push({ ok: true, value: this.conn.savepoint(p.work) });
            } catch (err) {
              results.push({ ok: false, err });
            }
          }
        }),
      );
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => {
      const r = results[i];
      if (r?.ok) p.resolve(r.value);
      else p.reject(r?.err ?? new Error('write not stored'));
    });
  }
}
