import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { createApp, type App, type AppOptions } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { TestClient, basic } from './client.js';

export type Backend = 'sqlite' | 'postgres';

/** PostgreSQL under test: MVCHAT_TEST_DATABASE_URL (an admin URL; each server gets a fresh database). */
export const PG_URL = process.env.MVCHAT_TEST_DATABASE_URL;

/** Backends every integration suite runs against. */
export function backends(): Backend[] {
  return PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

/** Creates a throwaway PostgreSQL database and returns its URL and a drop function. */
export async function freshPgDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!PG_URL) throw new Error('MVCHAT_TEST_DATABASE_URL is not set');
  const name = `mvchat_t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface TestServer {
  app: App;
  port: number;
  url: string;
  httpUrl: string;
  config: Config;
  backend: Backend;
  connect(): Promise<TestClient>;
  /** A connected client logged in as a new user. */
  user(name?: string, pub?: unknown): Promise<{ client: TestClient; id: string; name: string; token: string }>;
  close(): Promise<void>;
}

export const PASSWORD = 'secret-pass';
const quiet = pino({ level: process.env.MVCHAT_TEST_LOG ?? 'silent' });

/** Starts a real server on a free loopback port with its own data folder (and database). */
export async function startServer(backend: Backend = 'sqlite', overrides: Partial<Config> = {}, options: AppOptions = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mvchat-test-'));
  const pgdb = backend === 'postgres' && !overrides.databaseUrl ? await freshPgDatabase() : null;
  const config = loadConfig(
    { MVCHAT_DATA_DIR: dataDir, MVCHAT_AUTH_LIMIT: '0' },
    {
      host: '127.0.0.1',
      port: 0,
      tokenKey: randomBytes(32),
      encryptionKeys: [randomBytes(32)],
      ...overrides,
      databaseUrl: pgdb?.url ?? overrides.databaseUrl ?? null,
    },
  );
  const app = await createApp(config, { logger: quiet, ...options });
  const port = await app.listen();
  const url = `ws://127.0.0.1:${port}/v0/ws`;
  let n = 0;
  const server: TestServer = {
    app,
    port,
    url,
    httpUrl: `http://127.0.0.1:${port}`,
    config,
    backend,
    connect: () => TestClient.connect(url),
    async user(name, pub) {
      const uname = name ?? `user${++n}_${randomUUID().slice(0, 6)}`;
      const client = await TestClient.connect(url);
      const r = await client.request('acc', {
        user: 'new',
        scheme: 'basic',
        secret: basic(uname, PASSWORD),
        login: true,
        desc: { public: pub ?? { fn: uname } },
      });
      if (r.code !== 201) throw new Error(`sign-up failed: ${JSON.stringify(r)}`);
      return { client, id: r.params.user, name: uname, token: r.params.token };
    },
    async close() {
      await app.close();
      await pgdb?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

/** Runs `fn` against a fresh server and always closes it. */
export async function withServer(backend: Backend, fn: (s: TestServer) => Promise<void>, overrides: Partial<Config> = {}): Promise<void> {
  const s = await startServer(backend, overrides);
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}
