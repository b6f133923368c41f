import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { AppOptions } from '../app.js';
import type { LimiterFactory } from '../runtime/auth-throttle.js';
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
export const clusterWiring: NonNullable<AppOptions['cluster']> = async ({ registry, config, log, metrics, tasks }) => {
  const url = config.redisUrl;
  if (!url) throw new Error('cluster mode needs REDIS_URL');
  const clog = log.child({ component: 'redis' });
  // A Redis that hangs (paused, overloaded) must not hang logins or closes: commands time out.
  const options = { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 2000, lazyConnect: true, retryStrategy: (n: number) => Math.min(100 * n, 2000) };
  const pub = new Redis(url, options);
  const sub = new Redis(url, { ...options, commandTimeout: undefined, enableOfflineQueue: true, maxRetriesPerRequest: null });
  let firstReady = true;
  for (const [name, conn] of [['commands', pub], ['subscriber', sub]] as const) {
    conn.on('error', (err: Error) => {
      metrics.backendErrors.inc({ backend: 'redis' });
      clog.warn({ conn: name, err: err.message }, 'redis error');
    });
  }
  await Promise.all([pub.connect(), sub.connect()]);

  const keys = new RedisKeys(config.redisPrefix);
  const presence = new RedisPresence(pub, keys, config.nodeId);
  const bus = new RedisBus(pub, sub, keys, config.nodeId, presence, registry, metrics, clog);
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

  const limiters: LimiterFactory = (keyPrefix, points, duration) =>
    new RateLimiterRedis({
      storeClient: pub,
      keyPrefix: `${config.redisPrefix}rl:${keyPrefix}`,
      points,
      duration,
      // While Redis is down each node limits on its own rather than not at all.
      insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration }),
    });

  return {
    bus,
    presence,
    limiters,
    async start(services) {
      await heartbeat.start(tasks, async (users) => {
        for (const u of users) await services.presenceNotifier.offline(u);
      });
    },
    async stop() {
      await heartbeat.stop().catch(() => undefined);
      await bus.close();
      pub.disconnect();
      sub.disconnect();
    },
  };
};
