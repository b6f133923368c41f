import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { stopChild, track } from './children.js';

const PG_BIN = process.env.MVCHAT_FAULTS_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export function postgresAvailable(): boolean {
  return existsSync(path.join(PG_BIN, 'initdb')) && existsSync(path.join(PG_BIN, 'postgres'));
}

/** initdb and postgres refuse to run as root: as root they run as the `postgres` OS user (spawn's uid/gid, no wrapper process). */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * A private PostgreSQL cluster in a temp folder on its own loopback port and
 * socket folder, started and stopped only by this suite (never the machine's
 * shared server). The postmaster is a direct child, so a crash is one signal.
 */
export class PgServer {
  readonly #user = runAs();
  readonly #data: string;
  #child: ChildProcess | undefined;

  constructor(
    readonly port: number,
    dir: string,
  ) {
    this.#data = dir;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** initdb into the folder (trust auth for the local user `postgres`). */
  init(): void {
    mkdirSync(this.#data, { recursive: true, mode: 0o700 });
    if (this.#user) chownSync(this.#data, this.#user.uid, this.#user.gid);
    const r = spawnSync(
      path.join(PG_BIN, 'initdb'),
      ['-D', this.#data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'],
      { ...this.#user, encoding: 'utf8', cwd: this.#data },
    );
    if (r.status !== 0) throw new Error(`initdb failed (${r.status}): ${r.stderr || r.error?.message}`);
  }

  async start(): Promise<void> {
    // fsync off: the faults are process crashes, and the OS keeps what was written.
    const settings = ['listen_addresses=127.0.0.1', `unix_socket_directories=${this.#data}`, 'fsync=off', 'max_connections=60'];
    const args = ['-D', this.#data, '-p', String(this.port), ...settings.flatMap((s) => ['-c', s])];
    const child = track(spawn(path.join(PG_BIN, 'postgres'), args, { ...this.#user, cwd: this.#data, stdio: ['ignore', 'ignore', 'pipe'] }), 'SIGQUIT');
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`postgres not ready within 30 s: ${err.slice(-1000)}`)), 30_000);
      const onData = (d: Buffer) => {
        err += d;
        if (err.includes('database system is ready to accept connections')) {
          clearTimeout(timer);
          child.stderr!.off('data', onData);
          child.stderr!.resume();
          resolve();
        }
      };
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`postgres exited with ${code}: ${err.slice(-1000)}`));
      });
    });
  }

  /** Immediate shutdown (SIGQUIT to the postmaster): every backend ends at once, no checkpoint; the next start recovers from the WAL. */
  async crash(): Promise<void> {
    if (this.#child) await stopChild(this.#child, 'SIGQUIT');
    this.#child = undefined;
  }
}
