import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Bus, LocalDelivery } from '../cluster/bus.js';
import type { Presence, PresenceChange } from '../cluster/presence.js';
import type { PresenceNotifier } from '../domain/presence-notifier.js';
import type { LimiterFactory } from '../runtime/auth-throttle.js';
import type { BackgroundTasks } from '../runtime/background-tasks.js';
import type { Metrics } from '../runtime/metrics.js';
import { NodeHeartbeat } from '../cluster/node-heartbeat.js';
import { RedisBus } from '../cluster/redis-bus.js';
import { RedisKeys } from '../cluster/redis-keys.js';
import { RedisPresence } from '../cluster/redis-presence.js';

/**
 * Cluster mode (REDIS_URL): Redis-backed bus, presence, node heartbeats and
 * shared auth throttles. Redis outages are survived: commands fail fast
 * (no offline queue), errors are logged and counted, and when Redis comes
 * back this node brings its presence back in step (telling the changes made
 * meanwhile) and resumes delivery.
 */
/** What cluster mode replaces: the bus, presence and the throttle store, plus its own start/stop. */
export interface ClusterParts {
  bus: Bus;
  presence: Presence;
  limiters: LimiterFactory;
  /** Starts heartbeats and presence recovery; users of dead nodes and changes made while Redis was away are announced through `notifier`. */
  start(notifier: PresenceNotifier): Promise<void>;
  stop(): Promise<void>;
}

export interface ClusterInputs {
  registry: LocalDelivery;
  config: Config;
  log: Logger;
  metrics: Metrics;
  tasks: BackgroundTasks;
}

export type ClusterWiring = (inputs: ClusterInputs) => Promise<ClusterParts>;

/** Limiters shared by every node: each consume is one atomic step in Redis. */
export function redisLimiters(client: Redis, redisPrefix: string): LimiterFactory {
  return (keyPrefix, points, duration) =>
    new RateLimiterRedis({
      storeClient: client,
      keyPrefix: `${redisPrefix}rl:${keyPrefix}`,
      points,
      duration,
      // While Redis is down each node limits on its own rather than not at all.
      insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration }),
    });
}

/** The longest wait between two reconnect attempts (`retryStrategy`). */
const RECONNECT_MAX_MS = 2000;
/**
 * A recovering node waits this long between its steps (docs/operations.md,
 * Redis down), so that every live node, each reconnecting at its own moment,
 * has done the previous step.
 */
export const PRESENCE_SETTLE_MS = RECONNECT_MAX_MS + 1000;
/** How often a node whose presence is out of step tries to recover. */
const PRESENCE_RECOVERY_PROBE_MS = 500;

export const clusterWiring: ClusterWiring = async ({ registry, config, log, metrics, tasks }) => {
  const url = config.redisUrl;
  if (!url) throw new Error('cluster mode needs REDIS_URL');
  const clog = log.child({ component: 'redis' });
  // A Redis that hangs (paused, overloaded) must not hang logins or closes: commands time out.
  const options = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
    lazyConnect: true,
    retryStrategy: (n: number) => Math.min(100 * n, RECONNECT_MAX_MS),
  };
  const pub = new Redis(url, options);
  const sub = new Redis(url, { ...options, commandTimeout: undefined, enableOfflineQueue: true, maxRetriesPerRequest: null });
  // Presence writes have a connection of their own that never sends a command twice: a write
  // whose answer was lost is settled by the recovery, never replayed later over newer state.
  const pres = new Redis(url, { ...options, autoResendUnfulfilledCommands: false });
  for (const [name, conn] of [
    ['commands', pub],
    ['subscriber', sub],
    ['presence', pres],
  ] as const) {
    conn.on('error', (err: Error) => {
      metrics.backendErrors.inc({ backend: 'redis' });
      clog.warn({ conn: name, err: err.message }, 'redis error');
    });
  }
  await Promise.all([pub.connect(), sub.connect(), pres.connect()]);

  const keys = new RedisKeys(config.redisPrefix);
  const presence = new RedisPresence(pres, keys, config.nodeId, { settleMs: PRESENCE_SETTLE_MS, log: clog });
  const bus = new RedisBus(
    pub,
    sub,
    keys,
    config.nodeId,
    presence,
    registry,
    {
      published: (seconds) => metrics.busPublish.observe(seconds),
      failed: () => metrics.backendErrors.inc({ backend: 'redis' }),
      outOfOrder: (outcome) => metrics.busOutOfOrder.inc({ outcome }),
    },
    clog,
    { orderHoldMs: config.orderHold * 1000, publishDelayMs: config.testPublishDelayMs },
  );
  await bus.start();
  const heartbeat = new NodeHeartbeat(pub, keys, config.nodeId, presence, config.presenceTtl * 1000, clog);

  // The link came back (Redis restarted, or the network): register the node at once, and find out
  // whether Redis lost its data (then presence falls out of step and the recovery task writes it again).
  pub.on('ready', () => void tasks.run('redis-reregister', () => heartbeat.beat()));
  pres.on('ready', () => void tasks.run('presence-verify', () => presence.verify()));

  const limiters = redisLimiters(pub, config.redisPrefix);

  return {
    bus,
    presence,
    limiters,
    async start(notifier) {
      const offline = async (users: string[]) => {
        for (const u of users) await notifier.offline(u);
      };
      const announce = (c: PresenceChange) => (c.online ? notifier.online(c.userId) : notifier.offline(c.userId, c.at));
      await heartbeat.start(offline);
      const period = heartbeat.periodMs;
      tasks.every('node-heartbeat', period, () => heartbeat.beat(), period * 2);
      tasks.every('dead-node-sweep', period, () => heartbeat.sweep(offline), heartbeat.ttl);
      tasks.every('presence-verify', period, () => presence.verify(), period * 2);
      tasks.every('presence-recovery', PRESENCE_RECOVERY_PROBE_MS, async () => void (await presence.recover(announce)), 3 * PRESENCE_SETTLE_MS + 30_000);
    },
    async stop() {
      await heartbeat.stop().catch(() => undefined);
      await bus.close();
      pub.disconnect();
      sub.disconnect();
      pres.disconnect();
    },
  };
};
