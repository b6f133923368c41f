import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../logger.js';
import type { OriginPolicy } from './origin-policy.js';

export interface HttpDeps {
  origins: OriginPolicy;
  nodeId: string;
  stats: () => { sessions: number; users: number };
  metrics: () => Promise<{ contentType: string; body: string }>;
  log: Logger;
  /** Time a client may take to send a request's headers; answered 408 and closed after it. */
  headersTimeoutMs: number;
}

/** Plain HTTP routes (PROTOCOL §1.1, §1.4, §1.6); file routes register themselves on the returned instance. */
export function createHttpServer(deps: HttpDeps): FastifyInstance {
  const app = Fastify({
    // Request lines are not logged (tokens travel in query strings); errors are.
    loggerInstance: deps.log.child({ component: 'http' }, { level: 'warn' }) as unknown as FastifyBaseLogger,
    // No global body/connection timeouts that would cut large file transfers (§12 item 10).
    requestTimeout: 0,
    connectionTimeout: 0,
    keepAliveTimeout: 60_000,
    bodyLimit: 1024 * 1024,
    // Node checks the headers deadline on this interval, so it is kept well below the timeout.
    http: {
      headersTimeout: deps.headersTimeoutMs,
      connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(deps.headersTimeoutMs / 4))),
    },
  });

  // CORS on every route, with the same origin policy as the WebSocket.
  app.addHook('onRequest', async (req, reply) => {
    void reply.header('Vary', 'Origin');
    const origin = req.headers.origin;
    const allowed = deps.origins.allows(origin);
    if (origin && allowed) {
      void reply.header('Access-Control-Allow-Origin', origin);
      void reply.header('Access-Control-Allow-Credentials', 'true');
    }
    if (req.method === 'OPTIONS') {
      if (!allowed) return reply.code(403).type('text/plain; charset=utf-8').send('Forbidden\n');
      return reply
        .code(204)
        .header('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE, OPTIONS')
        .header('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-Requested-With')
        .header('Access-Control-Max-Age', '86400')
        .send();
    }
  });

  app.all('/health', async (_req, reply) => {
    const { sessions, users } = deps.stats();
    return reply.type('application/json').send({ status: 'ok', sessions, online: users, node: deps.nodeId });
  });

  app.get('/metrics', async (_req, reply) => {
    const m = await deps.metrics();
    return reply.type(m.contentType).send(m.body);
  });

  app.setNotFoundHandler((_req, reply) => reply.code(404).type('text/plain; charset=utf-8').send('404 page not found\n'));
  app.setErrorHandler((error, req, reply) => {
    const err = error as { statusCode?: number; message: string };
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'http request failed');
    return reply
      .code(status)
      .type('text/plain; charset=utf-8')
      .send(status >= 500 ? 'internal error\n' : `${err.message}\n`);
  });
  return app;
}
