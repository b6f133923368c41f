import type { LoadRun, Sender } from '../lib/load-run.js';
import { fmt, type StepPoint } from './context.js';

export const P99_LIMIT_MS = 250;
const MAX_STEPS = 24;

/** Offered deliveries per second start at `start` and grow by `growth` every `stepMs`. */
export interface Ramp {
  start: number;
  growth: number;
  stepMs: number;
}

/** The full ramp draws the curve in fine steps; `--quick` climbs fast from higher up. */
export function rampFor(quick: boolean, stepMs?: number): Ramp {
  return quick ? { start: 16_000, growth: 2.5, stepMs: stepMs ?? 300 } : { start: 2000, growth: 1.5, stepMs: stepMs ?? 2500 };
}

export interface RampResult {
  points: StepPoint[];
  /** Deliveries per second of the best step that kept p99 ≤ 250 ms with nothing lost. */
  sustainable: number;
}

/**
 * Raises the send rate into one room step by step until p99 send→deliver
 * latency passes 250 ms (twice in a row) or anything is lost, refused or
 * disconnected.
 */
export async function rampFanout(run: LoadRun, senders: Sender[], members: number, ramp: Ramp, log: (s: string) => void): Promise<RampResult> {
  const { stepMs, growth, start } = ramp;
  const recipients = members - 1;
  const points: StepPoint[] = [];
  let sustainable = 0;
  // Warm-up at the first rate (JIT, connection pools, caches); not recorded.
  await run.phase({ senders, durationMs: stepMs, recipientsPerMessage: recipients, rate: start / recipients });
  for (let step = 0, offered = start; step < MAX_STEPS; step++, offered *= growth) {
    const rate = offered / recipients;
    const measure = () => run.phase({ senders, durationMs: stepMs, recipientsPerMessage: recipients, rate });
    let p = await measure();
    // A latency spike alone (nothing lost) gets one more try: the machine may be shared.
    if (p.latency.p99 > P99_LIMIT_MS && p.lost === 0 && p.failed === 0 && p.closedClients === 0) p = await measure();
    const passed = p.lost === 0 && p.failed === 0 && p.closedClients === 0 && p.latency.p99 <= P99_LIMIT_MS;
    points.push({
      offeredDeliveries: offered,
      deliveredPerSec: p.deliveredPerSec,
      p50: p.latency.p50,
      p99: p.latency.p99,
      lost: p.lost,
      failed: p.failed,
      passed,
      cpu: p.cpu,
    });
    log(
      `    offered ${fmt(offered)} deliveries/s (${fmt(rate, 1)} msg/s): delivered ${fmt(p.deliveredPerSec)}/s p50 ${fmt(p.latency.p50, 1)} ms p99 ${fmt(p.latency.p99, 1)} ms lost ${p.lost} failed ${p.failed} closed ${p.closedClients} cpu server ${p.cpu.server.join('+')}% workers ${p.cpu.workers.join('+')}%${passed ? '' : '  <- limit'}`,
    );
    if (!passed) break;
    sustainable = Math.max(sustainable, p.deliveredPerSec);
  }
  return { points, sustainable };
}
