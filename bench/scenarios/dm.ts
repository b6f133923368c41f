import { LoadRun, type PhaseResult } from '../lib/load-run.js';
import { createDmPairs } from '../lib/mvchat-setup.js';
import type { TargetServer } from '../lib/servers.js';
import type { BenchUser } from '../lib/user-pool.js';
import type { ClientSpec } from '../workers/transports.js';
import { fmt, KINDS, phaseLine, type BenchContext } from './context.js';

export interface DmTargetResult {
  /** Every user keeps one message in flight for the whole phase: the most the server acknowledges. */
  saturated: PhaseResult;
  /** Open loop at half the saturated acknowledged rate. */
  half: PhaseResult;
}

export interface DmResult {
  pairs: number;
  seconds: number;
  targets: Record<string, DmTargetResult>;
}

export function dmPairs(quick: boolean): number {
  return quick ? 50 : 500;
}

/** P pairs, both users of a pair sending to each other; pair members on alternate nodes. */
export async function dmOn(ctx: BenchContext, nodes: TargetServer[], users: BenchUser[], pairs: number, durationMs: number): Promise<DmTargetResult> {
  const first = nodes[0]!;
  const convs = first.kind === 'mvchat' ? await createDmPairs(first.url, users, pairs) : Array.from({ length: pairs }, (_, i) => `bench-dm-${i}`);
  const specs: ClientSpec[] = users.slice(0, 2 * pairs).map((u, g) => ({ user: u, convs: [convs[g >> 1]!], node: g % nodes.length }));
  const opened = await LoadRun.open(nodes, specs, ctx.workers);
  try {
    if (opened.failed > 0) throw new Error(`${opened.failed} of ${specs.length} clients could not log in: ${opened.firstError}`);
    const senders = specs.map((s, client) => ({ client, conv: s.convs[0]! }));
    const saturated = await opened.run.phase({ senders, durationMs, recipientsPerMessage: 1, window: 1 });
    ctx.log(`    saturated: ${phaseLine(saturated)}`);
    const half = await opened.run.phase({ senders, durationMs, recipientsPerMessage: 1, rate: Math.max(1, saturated.ackedPerSec / 2) });
    ctx.log(`    half rate (${fmt(saturated.ackedPerSec / 2)} msg/s): ${phaseLine(half)}`);
    return { saturated, half };
  } finally {
    await opened.run.close();
  }
}

export async function dm(ctx: BenchContext): Promise<DmResult> {
  const pairs = dmPairs(ctx.quick);
  const durationMs = ctx.quick ? 700 : 5000;
  const targets: Record<string, DmTargetResult> = {};
  for (const kind of KINDS) {
    ctx.log(`  ${kind}: ${pairs} DM pairs`);
    const server = await ctx.start(kind, { profileAs: 'dm' });
    try {
      targets[kind] = await dmOn(ctx, [server], ctx.users, pairs, durationMs);
    } finally {
      await server.stop();
    }
  }
  return { pairs, seconds: durationMs / 1000, targets };
}
