import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';

export const PG_ADMIN_URL = process.env.MVCHAT_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.MVCHAT_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Why the cluster scenario cannot run here, or null when PostgreSQL and Redis both answer. */
export async function unreachable(): Promise<string | null> {
  try {
    await admin((c) => c.query('SELECT 1'));
  } catch (err) {
    return `PostgreSQL at ${PG_ADMIN_URL} unreachable (${(err as Error).message})`;
  }
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    return `Redis at ${REDIS_URL} unreachable (${(err as Error).message})`;
  } finally {
    redis.disconnect();
  }
  return null;
}

/** Databases made by this run; all dropped by `dropDatabases`. */
const created: string[] = [];

/** A new database on the admin URL's server, optionally a copy of `template`; returns its URL and name. */
export async function createDatabase(template?: string): Promise<{ name: string; url: string }> {
  const name = `mvchat_bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`));
  created.push(name);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

export async function dropDatabases(): Promise<void> {
  const names = created.splice(0);
  await admin(async (c) => {
    for (const name of names) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }).catch(() => undefined);
}
