import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { LocalBus } from './cluster/local-bus.js';
import { LocalPresence } from './cluster/local-presence.js';
import type { Bus } from './cluster/bus.js';
import type { Presence } from './cluster/presence.js';
import { TokenService } from './crypto/tokens.js';
import { ContentCipher } from './crypto/content-cipher.js';
import { AuthThrottle, memoryLimiters, type LimiterFactory } from './runtime/auth-throttle.js';
import { BackendHealth } from './runtime/backend-health.js';
import { BackgroundTasks } from './runtime/background-tasks.js';
import { Metrics } from './runtime/metrics.js';
import { PresenceNotifier } from './domain/presence-notifier.js';
import type { Deps } from './runtime/deps.js';
import { Dispatcher } from './ops/dispatcher.js';
import { OP_TABLE } from './ops/index.js';
import { createHttpServer } from './server/http-server.js';
import { OriginPolicy } from './server/origin-policy.js';
import { WsGateway } from './server/ws-gateway.js';
import type { Session } from './session/session.js';
import { SessionLifecycle } from './session/session-lifecycle.js';
import { SessionRegistry } from './session/session-registry.js';
import { migrate } from './store/database.js';
import { openDb } from './wiring/database.js';
import { createStores } from './wiring/stores.js';
import type { ClusterWiring } from './wiring/cluster.js';
import { setUpFiles } from './wiring/files.js';
import { Mailer } from './mail/mailer.js';
import { OrderedPublisher } from './runtime/ordered-publisher.js';
import { registerVerifyEmailRoute } from './server/verify-email-route.js';
import { registerExportRoute } from './server/export-route.js';
import { EXPIRY_SWEEP_MS, sweepExpiredReads } from './domain/messages/expiry-sweeper.js';
import { pruneSyncLog } from './domain/sync/sync-log.js';
import { notifyOtherSessions } from './domain/sessions.js';
import { AccountDeletions } from './domain/account-deletion.js';

export interface App {
  deps: Deps;
  registry: SessionRegistry<Session>;
  http: FastifyInstance;
  /** Listens on config.host:config.port (0 = any free port) and returns the port. */
  listen(): Promise<number>;
  close(): Promise<void>;
}

export interface AppOptions {
  logger?: Logger;
  /** Cluster wiring (Redis) replaces the in-process bus and presence. */
  cluster?: ClusterWiring;
  /** Handler deadline in ms (PROTOCOL §1.2: 30 s); tests shorten it to stall an op for real. */
  handlerDeadlineMs?: number;
}

/** Builds the whole server from a config: store, bus, sessions, ops, HTTP. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const log = options.logger ?? createLogger(config.logLevel, config.nodeId);
  if (config.authLimit === 0) log.warn('MVCHAT_AUTH_LIMIT=0: login and sign-up throttling is off');

  const db = openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, warn: (msg, err) => log.warn({ err }, msg) });
  await migrate(db);
  const stores = createStores(db);
  const registry = new SessionRegistry<Session>();
  const tasks = new BackgroundTasks(log);
  const metrics = new Metrics(() => ({ sessions: registry.sessionCount, users: registry.userCount }));
  const cluster = options.cluster ? await options.cluster({ registry, config, log, metrics, tasks }) : null;
  const bus =
    cluster?.bus ??
    new LocalBus(registry, 'local', {
      skipped: () => metrics.busOutOfOrder.inc({ outcome: 'skipped' }),
      dropped: (conv, seq) => {
        metrics.busOutOfOrder.inc({ outcome: 'dropped' });
        log.warn({ conv, seq }, 'message published after a later one; dropped, recipients catch up from history');
      },
    });
  const presence = cluster?.presence ?? new LocalPresence();

  const presenceNotifier = new PresenceNotifier(stores, bus);
  const deps: Deps = {
    config,
    log,
    stores,
    bus,
    presence,
    tokens: new TokenService(config.tokenKey, config.tokenLifetime),
    cipher: new ContentCipher(config.encryptionKeys),
    authThrottle: new AuthThrottle(config.authLimit, cluster?.limiters),
    limiters: cluster?.limiters ?? memoryLimiters,
    metrics,
    health: new BackendHealth(),
    tasks,
    publisher: new OrderedPublisher(log),
    mailer: new Mailer({
      config,
      log,
      background: (name, work, timeoutMs) => void tasks.run(name, work, timeoutMs),
      failed: () => metrics.backendErrors.inc({ backend: 'mail' }),
      ownerGone: async (userId) => (await stores.accounts.getUser(userId))?.state === 'deleted',
    }),
    // Replaced below once file storage exists; nothing calls it before the node listens.
    accountDeletions: { start: () => undefined },
  };

  tasks.every('message-expiry', EXPIRY_SWEEP_MS, () => sweepExpiredReads(deps));
  tasks.every('sync-log-prune', 10 * 60_000, () => pruneSyncLog(deps, config.syncRetention));
  const dispatcher = new Dispatcher(OP_TABLE, deps, { handlerDeadlineMs: options.handlerDeadlineMs });
  const lifecycle = new SessionLifecycle(registry, presence, presenceNotifier, tasks, log, metrics);
  const origins = new OriginPolicy(config.allowedOrigins);
  const gateway = new WsGateway(
    registry,
    { frames: dispatcher, events: lifecycle },
    origins,
    {
      limits: {
        frameRate: config.frameRate,
        authTimeoutMs: config.authTimeout * 1000,
        outboundSoftLimit: config.outboundSoftLimit,
        outboundHardLimit: config.outboundHardLimit,
      },
      heartbeatMs: config.heartbeatInterval * 1000,
      compression: config.compression,
      trustProxy: config.trustProxy,
    },
    log,
  );
  const http = createHttpServer({
    origins,
    nodeId: config.nodeId,
    stats: () => ({ sessions: registry.sessionCount, users: registry.userCount }),
    metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
    log,
    headersTimeoutMs: config.headersTimeout * 1000,
  });
  registerVerifyEmailRoute(http, stores.emailVerifications, log);
  const files = await setUpFiles(http, deps);
  registerExportRoute(http, {
    node: deps,
    // Her live sessions that asked for notices learn that an export was made.
    onExport: (userId) => void notifyOtherSessions(deps, userId, null, { what: 'export' }),
  });
  const deletions = new AccountDeletions(deps, files.storage, { leaseMs: config.deletionLease * 1000 });
  deps.accountDeletions = deletions;
  // Unfinished erase jobs (a restart halfway, a failed step, a dead node) are taken up at start and then regularly.
  void tasks.run('account-deletion-sweep', () => deletions.sweep(), 10 * 60_000);
  tasks.every('account-deletion-sweep', Math.min(config.deletionLease * 500, 10_000), () => deletions.sweep(), 10 * 60_000);
  http.server.on('upgrade', (req, socket, head) => {
    if (!gateway.handleUpgrade(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });

  await cluster?.start(presenceNotifier);

  let closed = false;
  return {
    deps,
    registry,
    http,
    async listen() {
      await http.listen({ host: config.host, port: config.port });
      return (http.server.address() as AddressInfo).port;
    },
    async close() {
      if (closed) return;
      closed = true;
      await gateway.close();
      files.close();
      await tasks.close();
      deps.mailer.close();
      await http.close();
      if (cluster) await cluster.stop();
      else await bus.close();
      await presence.close();
      await db.close();
    },
  };
}
