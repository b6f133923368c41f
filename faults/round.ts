import { checkPresence } from './presence-check.js';
import { Traffic, type TrafficPlan } from './traffic.js';
import { verifyDelivery } from './verify.js';
import type { World } from './world.js';

export interface RoundPlan extends TrafficPlan {
  /** Traffic before the fault. */
  warmupMs: number;
  /** How long a service stays down before it is started again. */
  outageMs: number;
  ttlSeconds: number;
  /** Traffic and watching after the service is back (at least the presence TTL and a margin). */
  observeMs: number;
  /** Traffic after the last client is connected again. */
  afterReadyMs: number;
  /** Time for retries once the traffic stops, and for the final catch-up. */
  drainMs: number;
  settleMs: number;
}

export interface FaultContext {
  world: World;
  traffic: Traffic;
  plan: RoundPlan;
}

export interface Fault {
  name: string;
  /** How this round's leaving presence user leaves: closes her socket, or it dies with the server the fault kills. */
  leave: 'close' | 'dies';
  /** Breaks something; resolves once it is broken. */
  inject(ctx: FaultContext): Promise<void>;
  /** Repairs it (starts the service again); resolves once it is back. */
  recover(ctx: FaultContext): Promise<void>;
}

export interface Row {
  fault: string;
  seconds: number;
  sent: number;
  acked: number;
  retriedAcks: number;
  unacked: number;
  deliveries: number;
  viaCatchUp: number;
  lost: number;
  duplicates: number;
  presenceSeconds: number | undefined;
  presenceBound: number;
  errors: string;
  problems: string[];
  ok: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/**
 * One fault under load: traffic, the fault (the presence users swap at that
 * moment), the repair, everyone reconnected, more traffic, then the traffic
 * stops, every client catches up once more, and the books are compared.
 */
export async function runRound(fault: Fault, world: World, plan: RoundPlan): Promise<Row> {
  const startedAt = Date.now();
  const problems: string[] = [];
  world.startRound();
  // A round starts from a right view: a view left wrong by an earlier round is read again, and must then be right.
  await world.watcher.ready().then((conn) => world.view.load(conn));
  const before = await checkPresence(world, Date.now());
  problems.push(...before.wrong.map((w) => `before the fault: ${w}`));
  const traffic = new Traffic(world, plan);
  const ctx: FaultContext = { world, traffic, plan };
  traffic.start();
  await sleep(plan.warmupMs);

  const faultAt = Date.now();
  let arriver = fault.leave === 'dies' ? world.swapPresence('dies') : undefined;
  await fault.inject(ctx).catch((err: Error) => problems.push(`fault not injected: ${err.message}`));
  arriver ??= world.swapPresence('close');
  const arrived = arriver.start().catch((err: Error) => problems.push(err.message));
  await fault.recover(ctx).catch((err: Error) => problems.push(`not recovered: ${err.message}`));
  const backAt = Date.now();

  await Promise.all(world.connected().map((c) => c.ready().catch((err: Error) => problems.push(err.message))));
  await arrived;
  await sleep(Math.max(backAt + plan.observeMs, Date.now() + plan.afterReadyMs) - Date.now());
  await traffic.stop(plan.drainMs);
  const deadline = Date.now() + plan.settleMs;
  await Promise.all(world.connected().map((c) => c.settle(deadline).catch((err: Error) => problems.push(err.message))));

  const presence = await checkPresence(world, faultAt);
  const delivery = verifyDelivery(traffic.acks, world);
  const presenceBound = (backAt - faultAt) / 1000 + plan.ttlSeconds + 1;
  problems.push(...presence.wrong, ...delivery.details);
  const row: Row = {
    fault: fault.name,
    seconds: (Date.now() - startedAt) / 1000,
    sent: traffic.acks.sent,
    acked: traffic.acks.acked.size,
    retriedAcks: traffic.acks.retriedAcks,
    unacked: traffic.acks.unacked,
    deliveries: delivery.deliveries,
    viaCatchUp: delivery.viaCatchUp,
    lost: delivery.lost,
    duplicates: delivery.duplicates,
    presenceSeconds: presence.seconds,
    presenceBound,
    errors: describeErrors(delivery.stats),
    problems,
    ok: false,
  };
  row.ok = row.lost === 0 && row.duplicates === 0 && row.presenceSeconds !== undefined && row.presenceSeconds <= presenceBound && problems.length === 0;
  return row;
}

function describeErrors(stats: { errorCodes: Map<number, number>; closes: Map<number, number>; timeouts: number }): string {
  const parts = [
    ...[...stats.errorCodes].sort(([a], [b]) => a - b).map(([code, n]) => `ctrl ${code}×${n}`),
    ...[...stats.closes].sort(([a], [b]) => a - b).map(([code, n]) => `close ${code}×${n}`),
    ...(stats.timeouts > 0 ? [`timeout×${stats.timeouts}`] : []),
  ];
  return parts.length > 0 ? parts.join(', ') : 'none';
}
