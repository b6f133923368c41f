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
import type { Services } from './runtime/deps.js';
import { Dispatcher } from './ops/dispatcher.js';
import { OP_TABLE } from './ops/index.js';
import { createHttpServer } from './server/http-server.js';
import { OriginPolicy } from './server/origin-policy.js';
import { WsGateway } from './server/ws-gateway.js';
import type { Session, SessionHooks } from './session/session.js';
import { SessionLifecycle } from './session/session-lifecycle.js';
import { SessionRegistry } from './session/session-registry.js';
import { migrate, openDb } from './store/database.js';
import { createStores } from './store/stores.js';
import { setUpFiles } from './wiring/files.js';
import { Mailer } from './mail/mailer.js';
import { EmailVerificationStore } from './store/email-verification-store.js';
import { registerVerifyEmailRoute } from './server/verify-email-route.js';
import { EXPIRY_SWEEP_MS, sweepExpiredReads } from './domain/messages/expiry-sweeper.js';

export interface App {
  services: Services;
  registry: SessionRegistry<Session>;
  http: FastifyInstance;
  /** Listens on config.host:config.port (0 = any free port) and returns the port. */
  listen(): Promise<number>;
  close(): Promise<void>;
}

/** What cluster mode replaces: the bus, presence and the throttle store, plus its own start/stop. */
export interface ClusterParts {
  bus: Bus;
  presence: Presence;
  limiters: LimiterFactory;
  start(services: Services): Promise<void>;
  stop(): Promise<void>;
}

export interface AppOptions {
  logger?: Logger;
  /** Cluster wiring (Redis) replaces the in-process bus and presence. */
  cluster?: (deps: { registry: SessionRegistry<Session>; config: Config; log: Logger; metrics: Metrics; tasks: BackgroundTasks }) => Promise<ClusterParts>;
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
  const bus = cluster?.bus ?? new LocalBus(registry);
  const presence = cluster?.presence ?? new LocalPresence();

  const presenceNotifier = new PresenceNotifier(stores, bus);
  const services: Services = {
    config,
    log,
    stores,
    bus,
    presence,
    presenceNotifier,
    tokens: new TokenService(config.tokenKey, config.tokenLifetime),
    cipher: new ContentCipher(config.encryptionKeys),
    authThrottle: new AuthThrottle(config.authLimit, cluster?.limiters),
    limiters: cluster?.limiters ?? memoryLimiters,
    metrics,
    health: new BackendHealth(),
    tasks,
    mailer: new Mailer({ config, log, tasks, metrics }),
  };

  tasks.every('message-expiry', EXPIRY_SWEEP_MS, () => sweepExpiredReads(services));
  const dispatcher = new Dispatcher(OP_TABLE, services);
  const lifecycle = new SessionLifecycle(registry, presence, presenceNotifier, tasks, log);
  const hooks: SessionHooks = {
    handleFrame: (s, raw) => dispatcher.handleFrame(s, raw),
    rejectFrame: (s, raw) => dispatcher.rejectFrame(s, raw),
    userChanged: (s, from, to) => lifecycle.userChanged(s, from, to),
    closed: (s, user) => lifecycle.closed(s, user),
    slowConsumer: () => metrics.slowConsumerCloses.inc(),
    frameSent: () => metrics.frameOut(),
  };
  const origins = new OriginPolicy(config.allowedOrigins);
  const gateway = new WsGateway(
    registry,
    hooks,
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
  });
  registerVerifyEmailRoute(http, new EmailVerificationStore(db), log);
  const files = await setUpFiles(http, services);
  http.server.on('upgrade', (req, socket, head) => {
    if (!gateway.handleUpgrade(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });

  await cluster?.start(services);

  let closed = false;
  return {
    services,
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
      services.mailer.close();
      await http.close();
      if (cluster) await cluster.stop();
      else await bus.close();
      await presence.close();
      await db.close();
    },
  };
}
