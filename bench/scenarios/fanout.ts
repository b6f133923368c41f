import { LoadRun } from '../lib/load-run.js';
import { createRoom } from '../lib/mvchat-setup.js';
import type { TargetServer } from '../lib/servers.js';
import type { BenchUser } from '../lib/user-pool.js';
import type { ClientSpec } from '../workers/transports.js';
import { fmt, KINDS, type BenchContext } from './context.js';
import { rampFanout, rampFor, type Ramp, type RampResult } from './fanout-ramp.js';

export interface FanoutResult {
  members: number;
  senders: number;
  stepSeconds: number;
  growth: number;
  targets: Record<string, RampResult>;
}

export function fanoutSize(quick: boolean): number {
  return quick ? 100 : 1000;
}

/** One room of N members on `nodes`; members alternate between nodes. */
export async function fanoutOn(ctx: BenchContext, nodes: TargetServer[], users: BenchUser[], ramp: Ramp): Promise<RampResult> {
  const first = nodes[0]!;
  const conv = first.kind === 'mvchat' ? await createRoom(first.url, users) : 'bench-room';
  const specs: ClientSpec[] = users.map((u, g) => ({ user: u, convs: [conv], node: g % nodes.length }));
  const opened = await LoadRun.open(nodes, specs, ctx.workers);
  try {
    if (opened.failed > 0) throw new Error(`${opened.failed} of ${specs.length} clients could not log in: ${opened.firstError}`);
    const senders = Array.from({ length: Math.min(10, users.length) }, (_, client) => ({ client, conv }));
    return await rampFanout(opened.run, senders, users.length, ramp, ctx.log);
  } finally {
    await opened.run.close();
  }
}

export async function fanout(ctx: BenchContext): Promise<FanoutResult> {
  const members = fanoutSize(ctx.quick);
  const ramp = rampFor(ctx.quick);
  const users = ctx.users.slice(0, members);
  const targets: Record<string, RampResult> = {};
  for (const kind of KINDS) {
    ctx.log(`  ${kind}: room of ${members}`);
    const server = await ctx.start(kind, { profileAs: 'fanout' });
    try {
      targets[kind] = await fanoutOn(ctx, [server], users, ramp);
    } finally {
      await server.stop();
    }
    ctx.log(`  ${kind}: sustainable ${fmt(targets[kind].sustainable)} deliveries/s`);
  }
  return { members, senders: Math.min(10, members), stepSeconds: ramp.stepMs / 1000, growth: ramp.growth, targets };
}
