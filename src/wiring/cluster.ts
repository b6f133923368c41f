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

/** After Redis is back: the wait for every node to have written its presence state again (at most half the presence TTL). */
const SETTLE_AFTER_MS = 3000;

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
  // Users whose coming online (true) or going offline (false) could not reach Redis: nobody
  // was told. Once Redis is back and every node wrote its state again, the state each ended
  // in is announced, if it is still the one she moved to.
  const unsettled = new Map<string, boolean>();
  let notifier: PresenceNotifier | undefined;
  const remember =
    (userId: string, cameOnline: boolean) =>
    (err: unknown): never => {
      unsettled.set(userId, cameOnline);
      throw err;
    };
  const tracked: Presence = {
    connect: (userId) => presence.connect(userId).catch(remember(userId, true)),
    disconnect: (userId) => presence.disconnect(userId).catch(remember(userId, false)),
    online: (userIds) => presence.online(userIds),
    close: () => presence.close(),
  };
  const settle = async () => {
    const users = [...unsettled];
    unsettled.clear();
    const online = await presence.online(users.map(([u]) => u));
    for (const [userId, cameOnline] of users) {
      if (online.has(userId) !== cameOnline) continue;
      await (cameOnline ? notifier?.online(userId) : notifier?.offline(userId));
    }
  };
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
    },
    clog,
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
      // Other nodes reconnect within their retry delay (at most 2 s) and write theirs too.
      const wait = Math.min(SETTLE_AFTER_MS, config.presenceTtl * 500);
      if (unsettled.size > 0) setTimeout(() => void tasks.run('presence-settle', settle), wait).unref();
    });
  });
  firstReady = false;

  const limiters = redisLimiters(pub, config.redisPrefix);

  return {
    bus,
    presence: tracked,
    limiters,
    async start(presenceNotifier) {
      notifier = presenceNotifier;
      const offline = async (users: string[]) => {
        for (const u of users) await presenceNotifier.offline(u);
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
