import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SqliteDatabase from 'better-sqlite3';

// Runs in its own thread with its own connection: copies the WAL back into the database file.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Moves WAL checkpoints off the main thread. SQLite's automatic checkpoint
 * runs inside the commit that crosses the threshold, so one unlucky group of
 * sends pays for copying the whole log; here a second connection does it in a
 * worker thread every `intervalMs`. If the worker fails, the automatic
 * checkpoint is switched back on.
 */
export class SqliteCheckpointer {
  readonly #worker: Worker;
  #stopped = false;

  constructor(
    private readonly db: SqliteDatabase.Database,
    file: string,
    private readonly warn: (msg: string, err: string) => void,
    intervalMs = 250,
  ) {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, file, intervalMs } });
    this.#worker.unref();
    db.pragma('wal_autocheckpoint = 0');
    this.#worker.on('message', (m: { error?: string }) => {
      if (m.error) this.warn('WAL checkpoint failed', m.error);
    });
    this.#worker.on('error', (err) => this.#fallBack(err));
    this.#worker.on('exit', () => this.#fallBack(null));
  }

  #fallBack(err: Error | null): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (err) this.warn('WAL checkpoint thread ended; checkpoints go back into commits', err.message);
    if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
  }

  /** Ends the thread; the caller's close checkpoints what is left. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    // Held referenced until the thread is gone, so a shutdown waits for it.
    this.#worker.ref();
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.postMessage('stop');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
  }
}
