import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { stopChild, track } from './children.js';

export const REDIS_BIN = process.env.MVCHAT_FAULTS_REDIS_SERVER ?? 'redis-server';

export function redisAvailable(): boolean {
  return spawnSync(REDIS_BIN, ['--version']).status === 0;
}

/**
 * A private Redis on its own loopback port, started and killed only by this
 * suite (never the machine's shared one). It keeps nothing on disk, so a
 * restart comes back empty, like a Redis that crashed.
 */
export class RedisServer {
  #child: ChildProcess | undefined;

  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir];
    const child = track(spawn(REDIS_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`redis-server not ready within 10 s: ${out.slice(-500)}`)), 10_000);
      const onData = (d: Buffer) => {
        out += d;
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          child.stdout!.resume();
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${out.slice(-500)}`));
      });
    });
  }

  /** SIGKILL: every connection drops and every key is gone. */
  async kill(): Promise<void> {
    if (this.#child) await stopChild(this.#child, 'SIGKILL');
    this.#child = undefined;
  }
}
