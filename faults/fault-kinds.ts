import type { PgServer } from './pg-server.js';
import type { RedisServer } from './redis-server.js';
import type { Fault } from './round.js';
import type { Topology } from './topology.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGKILL of one of two cluster nodes; its clients reconnect to the survivor. Nothing is restarted. */
export function nodeKill(topology: Topology, slot: number): Fault {
  return {
    name: 'SIGKILL of one of two cluster nodes',
    leave: 'dies',
    inject: () => topology.kill(slot),
    recover: async () => undefined,
  };
}

/** The private Redis killed (SIGKILL, it keeps nothing) and started again on the same port after the outage. */
export function redisRestart(redis: RedisServer): Fault {
  return {
    name: 'Redis restart',
    leave: 'close',
    inject: () => redis.kill(),
    recover: async ({ plan }) => {
      await sleep(plan.outageMs);
      await redis.start();
    },
  };
}

/** The private PostgreSQL stopped with an immediate shutdown and started again (crash recovery) after the outage. */
export function postgresRestart(pg: PgServer): Fault {
  return {
    name: 'PostgreSQL restart',
    leave: 'close',
    inject: () => pg.crash(),
    recover: async ({ plan }) => {
      await sleep(plan.outageMs);
      await pg.start();
    },
  };
}

/** SIGKILL of the embedded single process, started again at once on the same data folder. */
export function embeddedKill(topology: Topology): Fault {
  return {
    name: 'SIGKILL of the embedded process (SQLite)',
    leave: 'dies',
    inject: () => topology.kill(0),
    recover: async () => {
      await topology.start(0);
    },
  };
}
