import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

export interface Machine {
  date: string;
  cpuModel: string;
  nproc: number;
  memory: string;
  node: string;
  os: string;
  loadAverage: number[];
  /** Source under test: commit, plus "+changes" when the tree had uncommitted edits at start. */
  commit?: string;
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export function describeMachine(): Machine {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpuModel;
  } catch {
    /* not Linux */
  }
  const free = run('free', ['-h'])
    .split('\n')
    .find((l) => l.startsWith('Mem:'))
    ?.split(/\s+/);
  return {
    date: new Date().toISOString(),
    cpuModel,
    nproc: Number(run('nproc', [])) || cpus().length,
    memory: free ? `${free[1]} total, ${free[6] ?? '?'} available` : 'unknown',
    node: process.version,
    os: run('uname', ['-sr']),
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    commit: `${run('git', ['rev-parse', '--short', 'HEAD'])}${run('git', ['status', '--porcelain', 'src']) ? '+changes' : ''}`,
  };
}
