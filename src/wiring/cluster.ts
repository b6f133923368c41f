import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Bus, LocalDelivery } from '../cluster/bus.js';
import type { AnnouncePresence, Presence, PresenceChange } from '../cluster/presence.js';
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

export interface RedisTimings {
  /** The longest wait between two reconnect attempts (`retryStrategy`). */
  reconnectMaxMs: number;
  /** How long a recovering node waits between its steps (docs/operations.md, Redis down). */
  settleMs: number;
  /** How often a node whose presence is out of step tries to recover, besides when its link comes back. */
  recoveryProbeMs: number;
}

/**
 * Timings of an outage, from the presence TTL (`ttlSeconds`).
 *
 * Each node reconnects at its own moment, at most `reconnectMaxMs` after
 * Redis is back, and starts its recovery as soon as its presence link is
 * ready; so nodes start it at most about `reconnectMaxMs` apart, and a step
 * waits that long plus a margin (the recovery's first round trips and its
 * writes) for every other node to have done the previous one. From Redis
 * being back to the last change told, a recovery thus takes about its own
 * reconnect and two waits: three reconnect delays and two margins.
 *
 * Presence changes are promised within the TTL (that is how soon a dead
 * node's users are shown offline); those made during an outage should be
 * told as soon once it is over. Fixed delays (2 s reconnect, 3 s between
 * steps: up to 8 s) broke that for a short TTL, so the reconnect delay is a
 * sixth of the TTL, between 0.1 s and 2 s, and the margin half of it, at
 * least 0.5 s: with the default TTL of 30 s the steps are 3 s apart (changes
 * told within about 8 s), with a TTL of 3 s 1 s apart (within about 2.5 s).
 * A short reconnect delay also keeps a node that was only cut off briefly
 * from missing its heartbeats for longer than the TTL.
 */
export function redisTimings(ttlSeconds: number): RedisTimings {
  const reconnectMaxMs = Math.round(Math.min(2000, Math.max(100, (ttlSeconds * 1000) / 6)));
  return { reconnectMaxMs, settleMs: reconnectMaxMs + Math.max(500, reconnectMaxMs / 2), recoveryProbeMs: 500 };
}

export const clusterWiring: ClusterWiring = async ({ registry, config, log, metrics, tasks }) => {
  const url = config.redisUrl;
  if (!url) throw new Error('cluster mode needs REDIS_URL');
  const clog = log.child({ component: 'redis' });
  const timings = redisTimings(config.presenceTtl);
  // A Redis that hangs (paused, overloaded) must not hang logins or closes: commands time out.
  const options = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
    lazyConnect: true,
    retryStrategy: (n: number) => Math.min(100 * n, timings.reconnectMaxMs),
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
  const presence = new RedisPresence(pres, keys, config.nodeId, { settleMs: timings.settleMs, log: clog });
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
  // whether Redis lost its data (then presence falls out of step). A node out of step starts its
  // recovery at once rather than at the next probe: the wait between its steps counts on every node
  // starting within about one reconnect delay of the others (`redisTimings`).
  let announce: AnnouncePresence | undefined;
  const recoveryTimeoutMs = 3 * timings.settleMs + 30_000;
  pub.on('ready', () => void tasks.run('redis-reregister', () => heartbeat.beat()));
  pres.on(
    'ready',
    () =>
      void tasks.run(
        'presence-verify',
        async () => {
          await presence.verify();
          if (announce) await presence.recover(announce);
        },
        recoveryTimeoutMs,
      ),
  );

  const limiters = redisLimiters(pub, config.redisPrefix);

  return {
    bus,
    presence,
    limiters,
    async start(notifier) {
      const offline = async (users: string[]) => {
        for (const u of users) await notifier.offline(u);
      };
      const tell = (c: PresenceChange) => (c.online ? notifier.online(c.userId) : notifier.offline(c.userId, c.at));
      announce = tell;
      await heartbeat.start(offline);
      const period = heartbeat.periodMs;
      tasks.every('node-heartbeat', period, () => heartbeat.beat(), period * 2);
      tasks.every('dead-node-sweep', period, () => heartbeat.sweep(offline), heartbeat.ttl);
      tasks.every('presence-verify', period, () => presence.verify(), period * 2);
      tasks.every('presence-recovery', timings.recoveryProbeMs, async () => void (await presence.recover(tell)), recoveryTimeoutMs);
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
