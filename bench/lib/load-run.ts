import { mergeAll, type LatencySummary } from './histogram.js';
import type { TargetServer } from './servers.js';
import { WorkerPool } from './worker-pool.js';
import type { ClientSpec } from '../workers/transports.js';

export interface CpuShare {
  /** Server CPU as % of one core, one entry per node. */
  server: number[];
  /** Each load worker's CPU as % of one core. */
  workers: number[];
}

export interface PhaseResult {
  mode: 'open' | 'closed';
  /** Messages per second the workers were told to send (open loop). */
  offeredMsgs: number | null;
  seconds: number;
  sent: number;
  acked: number;
  failed: number;
  ackedPerSec: number;
  delivered: number;
  expected: number;
  lost: number;
  deliveredPerSec: number;
  latency: LatencySummary;
  ackLatency: LatencySummary;
  closedClients: number;
  cpu: CpuShare;
}

/** Global sender: client index (as in the spec list) posting into a conversation. */
export interface Sender {
  client: number;
  conv: string;
}

/**
 * Load clients spread over worker processes (client g lives in worker g % W),
 * connected to one or more server nodes.
 */
export class LoadRun {
  #phase = 0;

  private constructor(
    readonly pool: WorkerPool,
    readonly servers: TargetServer[],
  ) {}

  /** Opens every client; resolves with how long that took and how many failed. */
  static async open(
    servers: TargetServer[],
    specs: ClientSpec[],
    workers: number,
    concurrency = 50,
  ): Promise<{ run: LoadRun; seconds: number; opened: number; failed: number; cpu: CpuShare; firstError: string | null }> {
    const pool = WorkerPool.start(workers);
    const run = new LoadRun(pool, servers);
    await pool.all(() => ({ cmd: 'ping' as const })); // worker start-up is not part of the measurement
    const w = pool.workers.length;
    const t0 = performance.now();
    const cpu0 = run.#cpuStart();
    const replies = await pool.all((i) => ({
      cmd: 'open' as const,
      targets: servers.map((s) => ({ kind: s.kind, url: s.url })),
      clients: specs.filter((_, g) => g % w === i),
      concurrency,
    }));
    const seconds = (performance.now() - t0) / 1000;
    return {
      run,
      seconds,
      opened: replies.reduce((a, r) => a + r.opened, 0),
      failed: replies.reduce((a, r) => a + r.failed, 0),
      firstError: replies.find((r) => r.firstError)?.firstError ?? null,
      cpu: run.#cpuEnd(cpu0, seconds),
    };
  }

  #cpuStart(): number[] {
    this.pool.mark();
    return this.servers.map((s) => s.cpuMs());
  }

  #cpuEnd(start: number[], seconds: number): CpuShare {
    const pct = (ms: number) => Math.round(ms / (seconds * 10));
    return { server: this.servers.map((s, i) => pct(s.cpuMs() - (start[i] ?? 0))), workers: this.pool.cpuSinceMark().map(pct) };
  }

  /**
   * One measured phase: senders post for `durationMs` (open loop at `rate`
   * msg/s in total, or closed loop with `window` in flight each), then
   * deliveries are collected until all expected arrived or they stop coming.
   */
  async phase(opts: { senders: Sender[]; durationMs: number; recipientsPerMessage: number } & ({ rate: number } | { window: number })): Promise<PhaseResult> {
    const phase = ++this.#phase;
    const w = this.pool.workers.length;
    const bySender = Array.from({ length: w }, (_, i) =>
      opts.senders.filter((s) => s.client % w === i).map((s) => ({ client: Math.floor(s.client / w), conv: s.conv })),
    );
    const t0 = performance.now();
    const cpu0 = this.#cpuStart();
    const loads = await this.pool.all((i) => {
      const senders = bySender[i]!;
      return 'rate' in opts
        ? { cmd: 'load' as const, mode: 'open' as const, phase, senders, durationMs: opts.durationMs, rate: (opts.rate * senders.length) / opts.senders.length }
        : { cmd: 'load' as const, mode: 'closed' as const, phase, senders, durationMs: opts.durationMs, window: opts.window };
    });
    const seconds = Math.max(...loads.map((l) => l.ms)) / 1000;
    const acked = loads.reduce((a, l) => a + l.acked, 0);
    const expected = acked * opts.recipientsPerMessage;
    const collected = await this.#collect(phase, expected);
    const cpu = this.#cpuEnd(cpu0, (performance.now() - t0) / 1000);
    const delivered = collected.reduce((a, c) => a + c.delivered, 0);
    return {
      mode: 'rate' in opts ? 'open' : 'closed',
      offeredMsgs: 'rate' in opts ? opts.rate : null,
      seconds,
      sent: loads.reduce((a, l) => a + l.sent, 0),
      acked,
      failed: loads.reduce((a, l) => a + l.failed, 0),
      ackedPerSec: acked / seconds,
      delivered,
      expected,
      lost: Math.max(0, expected - delivered),
      deliveredPerSec: delivered / seconds,
      latency: mergeAll(collected.map((c) => c.latency)).summary(),
      ackLatency: mergeAll(loads.map((l) => l.ackLatency)).summary(),
      closedClients: collected.reduce((a, c) => a + c.closedClients, 0),
      cpu,
    };
  }

  /** Polls the workers until `expected` deliveries are in, or none arrive for a second (at most 10 s). */
  async #collect(phase: number, expected: number) {
    const until = performance.now() + 10_000;
    let last = -1;
    let lastChange = performance.now();
    for (;;) {
      const replies = await this.pool.all(() => ({ cmd: 'collect' as const, phase }));
      const got = replies.reduce((a, r) => a + r.delivered, 0);
      const now = performance.now();
      if (got !== last) {
        last = got;
        lastChange = now;
      }
      if (got >= expected || now - lastChange > 1000 || now > until) return replies;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async close(): Promise<void> {
    await this.pool.stop();
  }
}
