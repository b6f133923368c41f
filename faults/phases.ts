import path from 'node:path';
import { clusterEnv } from '../test/helpers/node-process.js';
import { embeddedKill, nodeKill, postgresRestart, redisRestart } from './fault-kinds.js';
import { slowConsumer } from './fault-slow-consumer.js';
import { freePort } from './free-port.js';
import { PgServer } from './pg-server.js';
import type { SuitePlan } from './plan.js';
import { RedisServer } from './redis-server.js';
import { runRound, type Row } from './round.js';
import { Topology } from './topology.js';
import { World } from './world.js';

export type Report = (row: Row) => void;

/**
 * Two nodes on a private PostgreSQL and a private Redis; the faults that
 * leave both nodes up come first, the node kill last.
 */
export async function clusterPhase(plan: SuitePlan, dir: string, report: Report): Promise<void> {
  const redis = new RedisServer(await freePort(), dir);
  const pg = new PgServer(await freePort(), path.join(dir, 'pg'));
  await redis.start();
  pg.init();
  await pg.start();
  const env = { ...clusterEnv(pg.url, redis.url), MVCHAT_PRESENCE_TTL: String(plan.round.ttlSeconds) };
  const topology = new Topology('node', env, dir);
  let world: World | undefined;
  try {
    await Promise.all([topology.start(0), topology.start(1)]);
    world = await World.create(topology, plan.cluster);
    for (const fault of [redisRestart(redis), postgresRestart(pg), slowConsumer(plan.slow), nodeKill(topology, 1)]) {
      report(await runRound(fault, world, plan.round));
    }
  } finally {
    world?.stop();
    await topology.stopAll();
    await Promise.all([redis.kill(), pg.crash()]);
  }
}

/** One embedded process (SQLite in its data folder), killed and started again on that folder. */
export async function embeddedPhase(plan: SuitePlan, dir: string, report: Report): Promise<void> {
  // No keys given: the process makes them in its data folder and finds them there after the restart.
  const env = { MVCHAT_AUTH_LIMIT: '0', MVCHAT_FRAME_RATE: '1000' };
  const topology = new Topology('embedded', env, dir);
  let world: World | undefined;
  try {
    await topology.start(0);
    world = await World.create(topology, plan.embedded);
    report(await runRound(embeddedKill(topology), world, plan.round));
  } finally {
    world?.stop();
    await topology.stopAll();
  }
}
