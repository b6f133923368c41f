import { availableParallelism } from 'node:os';
import cluster from 'node:cluster';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';
import { createApp } from './app.js';
import { clusterWiring } from './wiring/cluster.js';

/** Process entry: config → wiring → listen; SIGTERM/SIGINT close gracefully within the shutdown timeout. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`mvchat: configuration error: ${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  const workers = config.workers === 0 ? availableParallelism() : config.workers;
  if (workers > 1 && cluster.isPrimary) {
    if (!config.redisUrl || !config.databaseUrl) {
      // Workers share delivery and presence through Redis, and storage through PostgreSQL
      // (one SQLite file is not shared by several writing processes).
      process.stderr.write('mvchat: MVCHAT_WORKERS > 1 needs REDIS_URL and DATABASE_URL\n');
      process.exit(78);
    }
    for (let i = 0; i < workers; i++) cluster.fork({ MVCHAT_NODE_ID: `${config.nodeId}-w${i}` });
    cluster.on('exit', (w, code) => process.stderr.write(`mvchat: worker ${w.process.pid} exited with ${code}\n`));
    return;
  }
  const log = createLogger(config.logLevel, config.nodeId);
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  const app = await createApp(config, { logger: log, ...(config.redisUrl ? { cluster: clusterWiring } : {}) });
  const port = await app.listen();
  log.info({ port, host: config.host, store: config.databaseUrl ? 'postgres' : 'sqlite', cluster: Boolean(config.redisUrl) }, 'mvchat listening');

  const stop = (signal: string) => {
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown timed out');
      process.exit(1);
    }, config.shutdownTimeout * 1000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

void main();
