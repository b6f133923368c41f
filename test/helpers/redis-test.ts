import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';
import { RedisKeys } from '../../src/cluster/redis-keys.js';
import { REDIS_URL } from './node-process.js';

/** Redis connections of one test under a random key prefix, so tests never see each other's keys. */
export interface RedisScope {
  readonly prefix: string;
  readonly keys: RedisKeys;
  /** A new connection, closed by `close()`. */
  connection(options?: RedisOptions): Redis;
  /** Deletes every key under the prefix and disconnects every connection. */
  close(): Promise<void>;
}

export function redisScope(url = REDIS_URL): RedisScope {
  if (!url) throw new Error('MVCHAT_TEST_REDIS_URL not set');
  const prefix = `t${randomUUID().slice(0, 8)}:`;
  const conns: Redis[] = [];
  return {
    prefix,
    keys: new RedisKeys(prefix),
    connection(options = {}) {
      const c = new Redis(url, options);
      conns.push(c);
      return c;
    },
    async close() {
      const admin = new Redis(url);
      try {
        const keys = await admin.keys(`${prefix}*`);
        if (keys.length) await admin.del(...keys);
      } finally {
        admin.disconnect();
        for (const c of conns) c.disconnect();
      }
    },
  };
}

/** Whether a `redis-server` binary is installed (tests that stop their own Redis need it). */
export const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A Redis of one test only, on a free loopback port, keeping nothing on disk: stopping it disturbs nobody else. */
export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** SIGKILL and wait for the exit: everything it held is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /** SIGSTOP: connections stay open, commands wait; SIGCONT with `resume`. */
  pause(): void;
  resume(): void;
}

export async function privateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      c.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('Ready to accept connections')) resolve();
      });
      c.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
    });
    c.stdout!.resume();
    child = c;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null) return;
      c.kill('SIGCONT');
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    },
    start,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
  };
}
