import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Bus, LocalDelivery } from '../cluster/bus.js';
import type { Presence } from '../cluster/presence.js';
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
 * back this node writes its presence state again and resumes delivery.
 */
/** What cluster mode replaces: the bus, presence and the throttle store, plus its own start/stop. */
export interface ClusterParts {
  bus: Bus;
  presence: Presence;
  limiters: LimiterFactory;
  /** Starts heartbeats; users of dead nodes are announced offline through `notifier`. */
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
    retryStrategy: (n: number) => Math.min(100 * n, 2000),
  };
  const pub = new Redis(url, options);
  const sub = new Redis(url, { ...options, commandTimeout: undefined, enableOfflineQueue: true, maxRetriesPerRequest: null });
  let firstReady = true;
  for (const [name, conn] of [
    ['commands', pub],
    ['subscriber', sub],
  ] as const) {
    conn.on('error', (err: Error) => {
      metrics.backendErrors.inc({ backend: 'redis' });
      clog.warn({ conn: name, err: err.message }, 'redis error');
    });
  }
  await Promise.all([pub.connect(), sub.connect()]);

  const keys = new RedisKeys(config.redisPrefix);
  const presence = new RedisPresence(pub, keys, config.nodeId);
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

  pub.on('ready', () => {
    if (firstReady) return void (firstReady = false);
    // Redis restarted (it keeps nothing on disk) or the link came back: write our state again.
    void tasks.run('redis-resync', async () => {
      await heartbeat.beat();
      await presence.resync();
      clog.info('redis connection restored; presence state written again');
    });
  });
  firstReady = false;

  const limiters = redisLimiters(pub, config.redisPrefix);

  return {
    bus,
    presence,
    limiters,
    async start(notifier) {
      const offline = async (users: string[]) => {
        for (const u of users) await notifier.offline(u);
      };
      await heartbeat.start(offline);
      const period = heartbeat.periodMs;
      tasks.every('node-heartbeat', period, () => heartbeat.beat(), period * 2);
      tasks.every('dead-node-sweep', period, () => heartbeat.sweep(offline), heartbeat.ttl);
    },
    async stop() {
      await heartbeat.stop().catch(() => undefined);
      await bus.close();
      pub.disconnect();
      sub.disconnect();
    },
  };
};
