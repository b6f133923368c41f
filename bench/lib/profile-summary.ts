import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './servers.js';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  fn: string;
  where: string;
  selfMs: number;
  percent: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Self time by function, largest first (idle and start-up excluded). */
  top: ProfileEntry[];
  /** Self time by origin: mvchat source, each dependency, node internals, GC. */
  byOrigin: ProfileEntry[];
}

function origin(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/src/')) return 'mvchat src';
  return 'other';
}

function shortUrl(url: string): string {
  return url.replace(`file://${ROOT}/`, '').replace(/^.*node_modules\//, '');
}

/** Self-time summary of a V8 .cpuprofile. */
export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n.callFrame]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Start-up (module loading through tsx) is not what the benchmark is about.
  const startup = new Map<number, boolean>();
  const isStartup = (id: number): boolean => {
    let known = startup.get(id);
    if (known === undefined) {
      const url = byId.get(id)?.url ?? '';
      const up = parent.get(id);
      known = url.startsWith('node:internal/modules') || url.includes('/tsx/') || (up !== undefined && isStartup(up));
      startup.set(id, known);
    }
    return known;
  };
  const selfUs = new Map<number, number>();
  prof.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
  });
  const byFn = new Map<string, { fn: string; where: string; us: number }>();
  const byOrigin = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const f = byId.get(id)!;
    if (f.functionName === '(idle)' || isStartup(id)) continue;
    busy += us;
    const fn = f.functionName || '(anonymous)';
    const where = f.url ? `${shortUrl(f.url)}:${f.lineNumber + 1}` : '';
    const key = `${fn}@${where}`;
    const e = byFn.get(key) ?? { fn, where, us: 0 };
    e.us += us;
    byFn.set(key, e);
    const o = origin(f.url, fn);
    byOrigin.set(o, (byOrigin.get(o) ?? 0) + us);
  }
  const pct = (us: number) => Math.round((us / Math.max(1, busy)) * 1000) / 10;
  return {
    file: path.relative(ROOT, path.resolve(file)),
    totalMs: Math.round(busy / 1000),
    top: [...byFn.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((e) => ({ fn: e.fn, where: e.where, selfMs: Math.round(e.us / 1000), percent: pct(e.us) })),
    byOrigin: [...byOrigin.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([o, us]) => ({ fn: o, where: '', selfMs: Math.round(us / 1000), percent: pct(us) })),
  };
}

export function profilesIn(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}
