import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { stopChild, track } from './children.js';
import { Inspector } from './inspector.js';
import { cpuMsOf, rssOf } from './proc-stats.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** What a load worker needs to know to speak to a server. */
export type TargetKind = 'mvchat' | 'bare-ws' | 'socket.io';

export interface TargetServer {
  kind: TargetKind;
  label: string;
  url: string;
  pid: number;
  child: ChildProcess;
  /** CPU time (ms) the server process has used so far. */
  cpuMs(): number;
  /** Memory after a full GC, read through the inspector (when started with inspect). */
  memory(): Promise<{ rss: number; heapUsed: number }>;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /** Open the inspector on a free port (needed for `memory()`). */
  inspect?: boolean;
  /** Folder for a V8 CPU profile written when the server exits. */
  cpuProfDir?: string;
  label?: string;
}

// Servers run as compiled JavaScript (as `npm start` does), all three alike; `compileServers` builds them.
const SCRIPTS: Record<TargetKind, string[]> = {
  mvchat: ['bench/build/src/main.js'],
  'bare-ws': ['bench/build/bench/baselines/bare-ws-server.js'],
  'socket.io': ['bench/build/bench/baselines/socketio-server.js'],
};

/** Compiles src and bench to bench/build/ once per run (dist/ holds only what `npm start` runs). */
export function compileServers(): void {
  // Incremental: a second run on an unchanged tree compiles almost nothing.
  const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(
    process.execPath,
    [tsc, '-p', path.join(ROOT, 'bench/tsconfig.json'), '--incremental', '--tsBuildInfoFile', path.join(ROOT, 'bench/build/.tsbuildinfo')],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) throw new Error('tsc failed');
}

/** Starts a server child on a free loopback port; resolves once it logged `"port":N`. */
export async function startTarget(kind: TargetKind, opts: SpawnOptions = {}): Promise<TargetServer> {
  const args: string[] = [];
  if (opts.inspect) args.push('--inspect=127.0.0.1:0');
  if (opts.cpuProfDir) args.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`);
  const child = track(
    spawn(process.execPath, [...args, ...SCRIPTS[kind]], {
      cwd: ROOT,
      env: { ...process.env, MVCHAT_PORT: '0', MVCHAT_HOST: '127.0.0.1', MVCHAT_LOG_LEVEL: 'info', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let out = '';
  let err = '';
  const ready = new Promise<{ port: number; inspectorUrl: string | null }>((resolve, reject) => {
    let port: number | null = null;
    let inspectorUrl: string | null = null;
    const check = () => {
      if (port !== null && (!opts.inspect || inspectorUrl !== null)) resolve({ port, inspectorUrl });
    };
    child.stdout!.on('data', (d: Buffer) => {
      if (port !== null) return;
      out += d;
      const m = /"port":(\d+)/.exec(out);
      if (m) {
        port = Number(m[1]);
        check();
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      err = (err + d).slice(-4000);
      const m = /Debugger listening on (ws:\/\/\S+)/.exec(err);
      if (m && inspectorUrl === null) {
        inspectorUrl = m[1] ?? null;
        check();
      }
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}: ${out.slice(-1500)} ${err.slice(-1500)}`)));
  });
  // mvchat reads the port from its own log line; the baselines print the same shape.
  const { port, inspectorUrl } = await ready;
  child.stdout!.resume();
  let inspector: Inspector | null = null;
  const pid = child.pid!;
  return {
    kind,
    label: opts.label ?? kind,
    url: kind === 'socket.io' ? `http://127.0.0.1:${port}` : kind === 'mvchat' ? `ws://127.0.0.1:${port}/v0/ws` : `ws://127.0.0.1:${port}/`,
    pid,
    child,
    cpuMs: () => cpuMsOf(pid) ?? 0,
    async memory() {
      if (!inspectorUrl) return { rss: rssOf(pid) ?? 0, heapUsed: 0 };
      inspector ??= await Inspector.connect(inspectorUrl);
      const m = await inspector.memory();
      // VmRSS from /proc is the figure of record; heapUsed comes from V8 after a full GC.
      return { rss: rssOf(pid) ?? m.rss, heapUsed: m.heapUsed };
    },
    async stop() {
      inspector?.close();
      await stopChild(child);
    },
  };
}
