import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { atExit } from './children.js';
import { basicSecret } from '../../client/index.js';
import { mapLimit } from './pool.js';
import { expectOk, openSetupClient } from './setup-client.js';
import { startTarget } from './servers.js';

export interface BenchUser {
  id: string;
  name: string;
  token: string;
}

const PASSWORD = 'bench-password';

/** Keys shared by every mvchat server of one run, so tokens stay valid across copies of a data set. */
export function benchKeys(): Record<string, string> {
  return {
    MVCHAT_TOKEN_KEY: randomBytes(32).toString('base64'),
    MVCHAT_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  };
}

/** Settings that take the server's abuse limits out of the measurement. */
export const LOAD_ENV = {
  MVCHAT_AUTH_LIMIT: '0',
  MVCHAT_FRAME_RATE: '100000',
  MVCHAT_INVITE_RATE: '0',
} as const;

/**
 * Signs up `count` users with `acc new` (Argon2 — slow by design), a few sockets
 * in parallel, each switching to the user it just created to get a token.
 */
export async function signUp(url: string, count: number, lanes = 6): Promise<BenchUser[]> {
  const run = randomUUID().slice(0, 6);
  const sockets = await Promise.all(Array.from({ length: Math.min(lanes, count) }, () => openSetupClient(url)));
  let next = 0;
  const users: BenchUser[] = new Array<BenchUser>(count);
  await Promise.all(
    sockets.map(async (c) => {
      for (let i = next++; i < count; i = next++) {
        const name = `b${run}u${i}`;
        const ctrl = expectOk(
          await c.request('acc', { user: 'new', scheme: 'basic', secret: basicSecret(name, PASSWORD), login: true, desc: { public: { fn: `Bench ${i}` } } }),
          'sign-up',
        );
        users[i] = { id: String(ctrl.params?.user), name, token: String(ctrl.params?.token) };
      }
      c.close();
    }),
  );
  return users;
}

export interface SqliteDataSet {
  dir: string;
  users: BenchUser[];
  /** Token and encryption keys the data set was made with; every server of the run uses them. */
  keys: Record<string, string>;
  /** True when the set came from an earlier run's cache. */
  reused: boolean;
}

// Kept between runs (sign-up is Argon2: about a minute per thousand users here); `--fresh-users` rebuilds it.
const CACHE_ROOT = path.join(tmpdir(), 'mvchat-bench-users-v1');

/**
 * A data folder holding at least `count` signed-up users; copy it per
 * scenario with `cloneDataDir`. Reuses the set an earlier run left in the
 * temp folder unless `fresh`.
 */
export async function sqliteDataSet(count: number, fresh: boolean): Promise<SqliteDataSet> {
  const cached = path.join(CACHE_ROOT, String(count));
  const manifest = path.join(cached, 'bench-users.json');
  if (!fresh && existsSync(manifest)) {
    const saved = JSON.parse(readFileSync(manifest, 'utf8')) as { users: BenchUser[]; keys: Record<string, string> };
    if (saved.users.length >= count) return { dir: path.join(cached, 'data'), users: saved.users.slice(0, count), keys: saved.keys, reused: true };
  }
  const keys = benchKeys();
  mkdirSync(CACHE_ROOT, { recursive: true });
  const building = mkdtempSync(path.join(CACHE_ROOT, 'building-'));
  atExit(() => rmSync(building, { recursive: true, force: true }));
  const dataDir = path.join(building, 'data');
  const server = await startTarget('mvchat', { env: { ...keys, ...LOAD_ENV, MVCHAT_DATA_DIR: dataDir } });
  let users: BenchUser[];
  try {
    users = await signUp(server.url, count);
  } finally {
    await server.stop();
  }
  writeFileSync(path.join(building, 'bench-users.json'), JSON.stringify({ users, keys }));
  rmSync(cached, { recursive: true, force: true });
  renameSync(building, cached);
  return { dir: path.join(cached, 'data'), users, keys, reused: false };
}

/** A private copy of a data folder (the SQLite file and its keys), removed at exit. */
export function cloneDataDir(from: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mvchat-bench-data-'));
  cpSync(from, dir, { recursive: true });
  atExit(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export { mapLimit };
