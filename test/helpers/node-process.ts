import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { basic, TestClient } from './client.js';
import { PASSWORD } from './server.js';

const root = path.resolve(import.meta.dirname, '../..');
export const REDIS_URL = process.env.MVCHAT_TEST_REDIS_URL;

export interface NodeProcess {
  id: string;
  port: number;
  url: string;
  child: ChildProcess;
  connect(): Promise<TestClient>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/** Settings every node of one test cluster shares. */
export function clusterEnv(databaseUrl: string, redisUrl = REDIS_URL ?? ''): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    MVCHAT_REDIS_PREFIX: `t${randomUUID().slice(0, 8)}:`,
    MVCHAT_TOKEN_KEY: randomBytes(32).toString('base64'),
    MVCHAT_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    MVCHAT_AUTH_LIMIT: '0',
    MVCHAT_FRAME_RATE: '1000',
  };
}

export interface NodeOptions {
  /** Data folder to use and keep (a restart on the same folder); by default a temp folder removed when the node stops. */
  dataDir?: string;
  /** File the node's log lines (stdout) are appended to; by default they are discarded. */
  logFile?: string;
}

/** Starts one server process (src/main.ts) on a free loopback port. */
export async function startNode(env: Record<string, string>, id = `node-${randomUUID().slice(0, 6)}`, options: NodeOptions = {}): Promise<NodeProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'mvchat-node-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      ...env,
      MVCHAT_NODE_ID: id,
      MVCHAT_PORT: '0',
      MVCHAT_HOST: '127.0.0.1',
      MVCHAT_DATA_DIR: dataDir,
      MVCHAT_LOG_LEVEL: process.env.MVCHAT_TEST_LOG ?? 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      const m = /"port":(\d+)/.exec(out);
      if (m) {
        child.stdout.off('data', onData);
        if (options.logFile) {
          const log = createWriteStream(options.logFile, { flags: 'a' });
          log.write(out);
          child.stdout.pipe(log);
        } else child.stdout.resume();
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`node ${id} exited with ${code}: ${out.slice(-2000)} ${err.slice(-2000)}`)));
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const cleanup = () => {
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  return {
    id,
    port,
    url: `ws://127.0.0.1:${port}/v0/ws`,
    child,
    connect: () => TestClient.connect(`ws://127.0.0.1:${port}/v0/ws`),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      cleanup();
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
      cleanup();
    },
  };
}

/** A new account signed up and logged in on `node`. */
export async function signUp(node: NodeProcess, name: string): Promise<{ client: TestClient; id: string; token: string }> {
  const client = await node.connect();
  const r = await client.request('acc', { user: 'new', scheme: 'basic', secret: basic(name, PASSWORD), login: true, desc: { public: { fn: name } } });
  assert.equal(r.code, 201, JSON.stringify(r));
  return { client, id: r.params.user, token: r.params.token };
}
