import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { stopChild, track } from './children.js';
import { ROOT } from './servers.js';
import type { WorkerCommand, WorkerReply } from '../workers/protocol.js';

type ReplyOf<C extends WorkerCommand['cmd']> = Extract<WorkerReply, { cmd: C }>;

/** One forked load-generator process; commands are answered one at a time, in order. */
export class Worker {
  #waiting: ((r: WorkerReply) => void)[] = [];
  #startCpu = 0;
  lastCpuMs = 0;

  constructor(readonly child: ChildProcess) {
    child.on('message', (r: WorkerReply) => {
      if ('cpuMs' in r) this.lastCpuMs = r.cpuMs;
      this.#waiting.shift()?.(r);
    });
    child.once('exit', (code) => {
      for (const w of this.#waiting) w({ cmd: 'error', message: `worker exited with ${code}` });
      this.#waiting = [];
    });
  }

  async call<C extends WorkerCommand>(cmd: C): Promise<ReplyOf<C['cmd']>> {
    const r = await new Promise<WorkerReply>((resolve) => {
      this.#waiting.push(resolve);
      this.child.send(cmd);
    });
    if (r.cmd === 'error') throw new Error(`load worker: ${r.message}`);
    return r as ReplyOf<C['cmd']>;
  }

  /** Marks the start of a measured span for `cpuSinceMark`. */
  mark(): void {
    this.#startCpu = this.lastCpuMs;
  }

  cpuSinceMark(): number {
    return this.lastCpuMs - this.#startCpu;
  }
}

export class WorkerPool {
  private constructor(readonly workers: Worker[]) {}

  static start(count: number): WorkerPool {
    // Compiled with the servers (compileServers): a fork starts in a fraction of the time a TypeScript loader takes.
    const script = path.join(ROOT, 'bench/build/bench/workers/load-worker.js');
    return new WorkerPool(
      Array.from({ length: count }, () => new Worker(track(fork(script, [], { cwd: ROOT, execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })))),
    );
  }

  all<C extends WorkerCommand>(make: (i: number) => C): Promise<ReplyOf<C['cmd']>[]> {
    return Promise.all(this.workers.map((w, i) => w.call(make(i))));
  }

  mark(): void {
    for (const w of this.workers) w.mark();
  }

  /** CPU each worker used since `mark()`, ms. */
  cpuSinceMark(): number[] {
    return this.workers.map((w) => w.cpuSinceMark());
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        if (w.child.connected) await w.call({ cmd: 'close' }).catch(() => undefined);
        await stopChild(w.child, 'SIGTERM', 3000);
      }),
    );
  }
}
