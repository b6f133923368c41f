import type { Logger } from '../logger.js';

/**
 * Owner of every background job: periodic tasks and fire-and-forget work get
 * a name, a timeout and error logging, and stop on shutdown (DEFECTS 11).
 */
export class BackgroundTasks {
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #stopped = false;

  constructor(private readonly log: Logger) {}

  /** Runs `fn` every `intervalMs`, never overlapping itself, each run bounded by `timeoutMs`. */
  every(name: string, intervalMs: number, fn: () => Promise<void>, timeoutMs = intervalMs): void {
    let running = false;
    const timer = setInterval(() => {
      if (running || this.#stopped) return;
      running = true;
      void this.run(name, fn, timeoutMs).finally(() => (running = false));
    }, intervalMs);
    timer.unref();
    this.#timers.add(timer);
  }

  /** Runs one job now; failures and overruns are logged, never thrown. */
  run(name: string, fn: () => Promise<unknown>, timeoutMs = 30_000): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const job = Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
        timer.unref();
      }),
    ])
      .then(() => undefined)
      .catch((err: unknown) => this.log.error({ err, task: name }, 'background task failed'))
      .finally(() => {
        clearTimeout(timer);
        this.#inFlight.delete(job);
      });
    this.#inFlight.add(job);
    return job;
  }

  /** Stops the periodic tasks and waits (bounded) for running jobs. */
  async close(waitMs = 5000): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    this.#timers.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.#inFlight]),
      new Promise((r) => {
        timer = setTimeout(r, waitMs);
      }),
    ]);
    clearTimeout(timer);
  }
}
