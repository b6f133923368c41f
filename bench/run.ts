import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { atExit, installExitHandlers, killAll } from './lib/children.js';
import { describeMachine } from './lib/machine.js';
import { profilesIn, summarizeProfile, type ProfileSummary } from './lib/profile-summary.js';
import { ROOT, compileServers, startTarget, type TargetKind } from './lib/servers.js';
import { benchKeys, cloneDataDir, LOAD_ENV, sqliteDataSet } from './lib/user-pool.js';
import { writeReports, type BenchResults } from './lib/write-reports.js';
import { cluster, clusterUsers } from './scenarios/cluster.js';
import { connect, connectSockets } from './scenarios/connect.js';
import type { BenchContext } from './scenarios/context.js';
import { dm, dmPairs } from './scenarios/dm.js';
import { fanout, fanoutSize } from './scenarios/fanout.js';

const SCENARIOS = ['fanout', 'dm', 'connect', 'cluster'] as const;
type Scenario = (typeof SCENARIOS)[number];

const USAGE = `npm run bench -- [--quick] [--scenario fanout|dm|connect|cluster]... [--workers N] [--profile] [--no-write] [--fresh-users]
  --quick        small sizes and short steps (about a minute on 2 cores)
  --scenario     run only the named scenario(s) (repeatable)
  --workers      load-generator processes per scenario (default 2)
  --profile      run mvchat with --cpu-prof during fanout, dm and connect and summarize the top self-time functions
  --no-write     print only; leave docs/benchmarks.md and bench/results/ alone
  --fresh-users  sign the users up again instead of reusing the set an earlier run left in the temp folder
  --report-only  rewrite docs/benchmarks.md and the plot from bench/results/latest.json`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      scenario: { type: 'string', multiple: true },
      workers: { type: 'string', default: '2' },
      profile: { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      'report-only': { type: 'boolean', default: false },
      'fresh-users': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return void console.log(USAGE);
  if (values['report-only']) {
    const files = writeReports(JSON.parse(readFileSync(path.join(ROOT, 'bench/results/latest.json'), 'utf8')) as BenchResults);
    return void console.log(`wrote ${files.map((f) => path.relative(ROOT, f)).join(', ')}`);
  }
  compileServers();
  const chosen = (values.scenario ?? [...SCENARIOS]) as Scenario[];
  const unknown = chosen.filter((s) => !SCENARIOS.includes(s));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}\n${USAGE}`);
  const quick = values.quick;
  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 16) throw new Error('--workers must be 1..16');

  installExitHandlers();
  const started = performance.now();
  const log = (line: string) => console.log(line);
  const profileDir = values.profile ? mkdtempSync(path.join(tmpdir(), 'mvchat-bench-prof-')) : null;
  if (profileDir) atExit(() => rmSync(profileDir, { recursive: true, force: true }));

  // Sign-up is Argon2 (64 MiB) by design: one data set per run, copied into every mvchat server.
  const need = Math.max(
    chosen.includes('fanout') ? fanoutSize(quick) : 0,
    chosen.includes('dm') ? 2 * dmPairs(quick) : 0,
    chosen.includes('connect') ? Math.min(connectSockets(quick), quick ? 100 : 1000) : 0,
  );
  let keys = benchKeys();
  let users: BenchContext['users'] = [];
  let dataDir = '';
  if (need > 0) {
    const t = performance.now();
    const set = await sqliteDataSet(need, values['fresh-users']);
    ({ users, keys } = set);
    dataDir = set.dir;
    log(
      set.reused
        ? `${need} users from an earlier run's sign-up (${set.dir}; --fresh-users to redo)`
        : `signed up ${need} users (acc new, Argon2) in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
  }

  const ctx: BenchContext = {
    quick,
    workers,
    users,
    log,
    async start(kind: TargetKind, opts = {}) {
      const cpuProfDir = profileDir && opts.profileAs && kind === 'mvchat' ? path.join(profileDir, opts.profileAs) : undefined;
      const env = kind === 'mvchat' ? { ...keys, ...LOAD_ENV, MVCHAT_DATA_DIR: cloneDataDir(dataDir) } : {};
      return startTarget(kind, { env, inspect: opts.inspect, cpuProfDir });
    },
  };

  // Machine and source are described at the start: the tree under test is the one the servers loaded.
  const results: BenchResults = { machine: describeMachine(), quick, workers, command: commandLine(), scenarios: {}, profiles: {} };
  for (const name of chosen) {
    log(`\n== ${name} ==`);
    const t = performance.now();
    if (name === 'fanout') results.scenarios.fanout = await fanout(ctx);
    else if (name === 'dm') results.scenarios.dm = await dm(ctx);
    else if (name === 'connect') results.scenarios.connect = await connect(ctx);
    else results.scenarios.cluster = await cluster(ctx, keys, clusterUsers(quick));
    log(`  (${((performance.now() - t) / 1000).toFixed(0)} s)`);
    if (profileDir && name !== 'cluster') {
      // --cpu-prof writes one file per thread; the busiest is the main thread (the others are the module loader's).
      const [main] = profilesIn(path.join(profileDir, name))
        .map((f) => summarizeProfile(f))
        .sort((a, b) => b.totalMs - a.totalMs);
      const summaries: ProfileSummary[] = [];
      if (main) {
        const kept = path.join(ROOT, 'bench/results/tmp', `${name}.cpuprofile`);
        mkdirSync(path.dirname(kept), { recursive: true });
        copyFileSync(path.join(ROOT, main.file), kept);
        summaries.push({ ...main, file: path.relative(ROOT, kept) });
      }
      results.profiles[name] = summaries;
      for (const s of summaries) {
        log(`  profile (${s.totalMs} ms busy): ${s.byOrigin.map((o) => `${o.fn} ${o.percent}%`).join(', ')}`);
        for (const e of s.top.slice(0, 8)) log(`    ${String(e.percent).padStart(5)}%  ${e.fn}  ${e.where}`);
      }
    }
  }
  results.totalSeconds = Math.round((performance.now() - started) / 1000);
  log(`\nfinished in ${results.totalSeconds} s`);
  if (!values['no-write']) {
    const files = writeReports(results);
    log(`wrote ${files.map((f) => path.relative(ROOT, f)).join(', ')}`);
  }
}

function commandLine(): string {
  const args = process.argv.slice(2);
  return `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;
}

main()
  .then(() => {
    killAll();
    process.exit(0);
  })
  .catch((err: unknown) => {
    console.error(err);
    killAll();
    process.exit(1);
  });
