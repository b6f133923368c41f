import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Machine } from './machine.js';
import type { ProfileSummary } from './profile-summary.js';
import { ROOT } from './servers.js';
import { fanoutSvg } from './fanout-svg.js';
import type { ClusterResult } from '../scenarios/cluster.js';
import type { ConnectResult } from '../scenarios/connect.js';
import { fmt } from '../scenarios/context.js';
import type { DmResult } from '../scenarios/dm.js';
import type { FanoutResult } from '../scenarios/fanout.js';

export interface BenchResults {
  machine: Machine;
  quick: boolean;
  workers: number;
  command: string;
  scenarios: { fanout?: FanoutResult; dm?: DmResult; connect?: ConnectResult; cluster?: ClusterResult };
  profiles: Record<string, ProfileSummary[]>;
  totalSeconds?: number;
}

interface Check {
  goal: string;
  measured: string;
  met: boolean | null;
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a !== undefined && b !== undefined && b > 0 && Number.isFinite(a) ? `${(a / b).toFixed(2)}×` : 'n/a';
}

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const kib = (bytes: number) => `${fmt(bytes / 1024, 1)} KiB`;
const cpu = (c: { server: number[]; workers: number[] }) => `${c.server.join(' + ')}% / ${c.workers.join(' + ')}%`;

function checks(r: BenchResults): Check[] {
  const out: Check[] = [];
  const f = r.scenarios.fanout?.targets;
  if (f?.mvchat) {
    const bare = f['bare-ws']?.sustainable ?? 0;
    const sio = f['socket.io']?.sustainable ?? 0;
    out.push({ goal: 'fanout ≥ 60% of bare ws', measured: ratio(f.mvchat.sustainable, bare), met: bare > 0 ? f.mvchat.sustainable >= 0.6 * bare : null });
    out.push({ goal: 'fanout ≥ 2× Socket.IO', measured: ratio(f.mvchat.sustainable, sio), met: sio > 0 ? f.mvchat.sustainable >= 2 * sio : null });
  }
  const d = r.scenarios.dm?.targets.mvchat;
  if (d) {
    out.push({
      goal: 'dm ≥ 10,000 acknowledged msg/s (embedded SQLite)',
      measured: `${fmt(d.saturated.ackedPerSec)} msg/s`,
      met: d.saturated.ackedPerSec >= 10_000,
    });
    out.push({
      goal: 'dm p99 < 50 ms at half that rate',
      measured: `${fmt(d.half.latency.p99, 1)} ms at ${fmt(d.half.offeredMsgs ?? 0)} msg/s`,
      met: d.half.latency.p99 < 50,
    });
  }
  const c = r.scenarios.connect?.targets;
  if (c?.mvchat) {
    const bare = c['bare-ws']?.rssPerSocket ?? 0;
    out.push({
      goal: 'memory per idle socket ≤ 1.5× bare ws',
      measured: `${kib(c.mvchat.rssPerSocket)} vs ${kib(bare)} (${ratio(c.mvchat.rssPerSocket, bare)})`,
      met: bare > 0 ? c.mvchat.rssPerSocket <= 1.5 * bare : null,
    });
    out.push({ goal: 'token logins ≥ 2,000/s', measured: `${fmt(c.mvchat.loginsPerSec)}/s`, met: c.mvchat.loginsPerSec >= 2000 });
  }
  const cl = r.scenarios.cluster;
  if (cl && 'targets' in cl) {
    const one = cl.targets['mvchat ×1'];
    const two = cl.targets['mvchat ×2'];
    if (one && two) {
      out.push({
        goal: 'cluster: two nodes ≥ 1.6× one node (dm)',
        measured: ratio(two.dm.saturated.ackedPerSec, one.dm.saturated.ackedPerSec),
        met: two.dm.saturated.ackedPerSec >= 1.6 * one.dm.saturated.ackedPerSec,
      });
      out.push({
        goal: 'cluster: two nodes ≥ 1.6× one node (fanout)',
        measured: ratio(two.fanout.sustainable, one.fanout.sustainable),
        met: two.fanout.sustainable >= 1.6 * one.fanout.sustainable,
      });
    }
  }
  return out;
}

function fanoutSection(f: FanoutResult): string {
  const bare = f.targets['bare-ws']?.sustainable;
  const sio = f.targets['socket.io']?.sustainable;
  const rows = Object.entries(f.targets).map(([name, t]) => {
    const best = [...t.points].reverse().find((p) => p.passed);
    const limit = t.points.find((p) => !p.passed);
    return [
      name,
      fmt(t.sustainable),
      ratio(t.sustainable, bare),
      ratio(t.sustainable, sio),
      best ? `${fmt(best.p50, 1)} / ${fmt(best.p99, 1)} ms` : 'n/a',
      best ? cpu(best.cpu) : 'n/a',
      limit ? `p99 ${fmt(limit.p99, 0)} ms, lost ${limit.lost}, refused ${limit.failed} at ${fmt(limit.offeredDeliveries)}/s` : 'not reached',
    ];
  });
  return [
    `## fanout: one room of ${fmt(f.members)} members`,
    '',
    `${f.senders} members post into the room at a rising rate (×${f.growth} per ${f.stepSeconds} s step, open loop); every message goes to the ${fmt(f.members - 1)} other members. A step passes when p99 send→deliver latency ≤ 250 ms and nothing is lost, refused or disconnected. The figure is the deliveries per second of the best passing step.`,
    '',
    table(['server', 'sustainable deliveries/s', 'vs bare ws', 'vs Socket.IO', 'p50 / p99 there', 'CPU server / workers', 'what stopped it'], rows),
    '',
    '![p99 latency against offered load, fanout](bench-fanout.svg)',
  ].join('\n');
}

function dmSection(d: DmResult): string {
  const bare = d.targets['bare-ws'];
  const sio = d.targets['socket.io'];
  const rows = Object.entries(d.targets).map(([name, t]) => [
    name,
    fmt(t.saturated.ackedPerSec),
    fmt(t.saturated.deliveredPerSec),
    `${ratio(t.saturated.ackedPerSec, bare?.saturated.ackedPerSec)} / ${ratio(t.saturated.ackedPerSec, sio?.saturated.ackedPerSec)}`,
    `${fmt(t.saturated.latency.p50, 1)} / ${fmt(t.saturated.latency.p99, 1)} ms`,
    `${fmt(t.half.offeredMsgs ?? 0)}/s: ${fmt(t.half.latency.p50, 1)} / ${fmt(t.half.latency.p99, 1)} ms`,
    `${t.saturated.lost + t.half.lost} / ${t.saturated.failed + t.half.failed}`,
    cpu(t.saturated.cpu),
  ]);
  return [
    `## dm: ${fmt(d.pairs)} DM pairs`,
    '',
    `${fmt(2 * d.pairs)} users, each sending to their partner with one message in flight for ${d.seconds} s (the most the server acknowledges), then open loop at half that rate for ${d.seconds} s. mvchat stores (and encrypts) every message before the acknowledgement; the baselines store nothing.`,
    '',
    table(
      [
        'server',
        'acknowledged msg/s',
        'delivered msg/s',
        'vs bare ws / Socket.IO',
        'p50 / p99 at max',
        'p50 / p99 at half rate',
        'lost / refused',
        'CPU server / workers',
      ],
      rows,
    ),
  ].join('\n');
}

function connectSection(c: ConnectResult): string {
  const bare = c.targets['bare-ws'];
  const rows = Object.entries(c.targets).map(([name, t]) => [
    name,
    `${fmt(t.opened)}${t.failed ? ` (${t.failed} failed)` : ''}`,
    fmt(t.loginsPerSec),
    ratio(t.loginsPerSec, bare?.loginsPerSec),
    kib(t.rssPerSocket),
    kib(t.heapPerSocket),
    ratio(t.rssPerSocket, bare?.rssPerSocket),
    cpu(t.cpu),
  ]);
  return [
    `## connect: ${fmt(c.sockets)} sockets`,
    '',
    `Sockets connect (100 at a time per worker) and log in: mvchat with \`login\` scheme \`token\` (${fmt(c.users)} users, reused round robin — sign-up is Argon2 by design), the baselines with their join message. Then 2 s idle; memory is read after a full GC: VmRSS from \`/proc/<pid>/status\`, V8 heap through the inspector.`,
    '',
    table(['server', 'logged in', 'logins/s', 'vs bare ws', 'RSS per socket', 'heap per socket', 'RSS vs bare ws', 'CPU server / workers'], rows),
  ].join('\n');
}

function clusterSection(c: ClusterResult): string {
  if ('skipped' in c) return `## cluster\n\nSkipped: ${c.skipped}.`;
  const one = (kind: string) => c.targets[`${kind} ×1`];
  const rows = Object.entries(c.targets).map(([name, t]) => {
    const base = one(name.split(' ')[0]!);
    return [
      name,
      fmt(t.dm.saturated.ackedPerSec),
      `${fmt(t.dm.half.latency.p99, 1)} ms`,
      ratio(t.dm.saturated.ackedPerSec, base?.dm.saturated.ackedPerSec),
      fmt(t.fanout.sustainable),
      ratio(t.fanout.sustainable, base?.fanout.sustainable),
      cpu(t.dm.saturated.cpu),
    ];
  });
  return [
    '## cluster: PostgreSQL + Redis',
    '',
    `mvchat nodes share one PostgreSQL database and Redis; Socket.IO nodes use @socket.io/redis-adapter. Clients alternate between nodes, so with two nodes each DM pair spans both and half of every room's deliveries cross Redis. dm: ${fmt(c.pairs)} pairs; fanout: a room of ${fmt(c.members)}.`,
    '',
    table(
      ['setup', 'dm acknowledged msg/s', 'dm p99 at half rate', 'dm vs one node', 'fanout deliveries/s', 'fanout vs one node', 'CPU nodes / workers (dm)'],
      rows,
    ),
  ].join('\n');
}

function profileSection(profiles: Record<string, ProfileSummary[]>): string {
  const parts: string[] = ['## Where mvchat spends its CPU', '', 'V8 sampling profile of the mvchat process (`--profile`), self time, idle excluded.'];
  for (const [name, list] of Object.entries(profiles)) {
    for (const p of list) {
      parts.push('', `### ${name} (${fmt(p.totalMs)} ms busy)`, '', `By origin: ${p.byOrigin.map((o) => `${o.fn} ${o.percent}%`).join(', ')}.`, '');
      parts.push(
        table(
          ['self %', 'function', 'where'],
          p.top.slice(0, 12).map((e) => [`${e.percent}%`, `\`${e.fn}\``, e.where || '—']),
        ),
      );
    }
  }
  return parts.join('\n');
}

export function markdown(r: BenchResults): string {
  const m = r.machine;
  const list = checks(r);
  const parts = [
    '# mvchat benchmarks',
    '',
    `Generated by \`${r.command}\` on ${m.date.slice(0, 10)}${r.quick ? ' (**quick** sizes)' : ''}; took ${r.totalSeconds ?? '?'} s. Raw figures: [bench/results/latest.json](../bench/results/latest.json).`,
    '',
    'Reproduce: `npm run bench` (full: about 9 minutes on 2 cores, plus one minute of Argon2 sign-up the first time: the signed-up users are kept in the temp folder for later runs, `--fresh-users` redoes them), `npm run bench -- --quick` (about a minute on 2 cores, half of it the cluster scenario; short steps, so its figures are rough), `npm run bench -- --scenario dm` (one scenario), `--profile` to add a CPU profile of mvchat. The cluster scenario needs PostgreSQL (`MVCHAT_BENCH_DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/test`) and Redis (`MVCHAT_BENCH_REDIS_URL`, default `redis://127.0.0.1:6379/0`) and is skipped with the reason printed when they do not answer.',
    '',
    '## Machine',
    '',
    table(
      ['', ''],
      [
        ['CPU', `${m.cpuModel}, ${m.nproc} cores (\`nproc\`)`],
        ['memory', m.memory],
        ['Node.js', m.node],
        ['OS', m.os],
        ['source', m.commit ?? 'not recorded'],
        ['load average at start', m.loadAverage.join(', ')],
      ],
    ),
    '',
    `Everything runs on this one machine over loopback: the server, ${r.workers} load-generator processes (\`bench/workers/load-worker.ts\`, forked), and the baselines. Each figure comes with the CPU the server and each worker used (% of one core), so you can tell which side ran out. With few cores the generator competes with the server: the absolute numbers are a floor and repeated runs on a shared machine differ by up to a third; the ratios to the baselines measured in the same run on the same machine are the figures to compare.`,
    '',
    'Baselines, same traffic and envelope shape: **bare-ws** (`bench/baselines/bare-ws-server.ts`) parses the request, serializes and encodes one frame and writes those bytes to every other socket of the conversation — no storage, no checks: the cost of plain forwarding in Node. It issues one socket write per frame; mvchat coalesces the frames one socket gets in one turn of the event loop into one write (cork/uncork), which is why it can pass bare-ws when messages come in bursts — bare-ws is a reference point, not a hard ceiling. **socket.io** (`bench/baselines/socketio-server.ts`) does the same with Socket.IO rooms and acknowledgements (with `@socket.io/redis-adapter` in the cluster scenario).',
    '',
    '## Against the targets',
    '',
    list.length > 0
      ? table(
          ['target', 'measured', 'met'],
          list.map((c) => [c.goal, c.measured, c.met === null ? 'n/a' : c.met ? 'yes' : '**no**']),
        )
      : 'No target could be checked in this run.',
    '',
    '### Reading these figures',
    '',
    '- **What makes mvchat fast here:** frames serialized and UTF-8-encoded once per event whatever the number of recipients; writes to one socket in one turn of the event loop corked into one system call; member lists cached per node and validated by a member version that the database raises by trigger (no query per message for "may this user send" and "who receives"); sends (and login records) of one turn committed together (SQLite: one transaction with a savepoint each; PostgreSQL: one transaction, one statement per send); WAL checkpoints in a worker thread; HS256 tokens with node:crypto HMAC (fast-jwt) instead of WebCrypto jobs.',
    '- **dm** is bounded by the work every message really needs on one core: SQLite insert and commit (about 40 µs per message measured alone), AES-GCM, two socket writes, parsing and validation. The generator shares the two cores.',
    '- **connect**: a token login also builds a session, reads the user, records the login (group commit), verifies and issues a token; bare-ws only accepts the socket. The WebSocket handshake itself is a large share of both.',
    '- **cluster**: two nodes, PostgreSQL, Redis and the load generator share two cores, so a second node mostly takes CPU from the first; Socket.IO shows the same ceiling. Sends into one conversation are serialized by its row lock in PostgreSQL (that is what keeps seqs gap-free across nodes), so one busy room is bounded by the commit rate of one row; group commit batches the sends of one node, but batches from two nodes into the same room wait for each other.',
  ];
  if (r.scenarios.fanout) parts.push('', fanoutSection(r.scenarios.fanout));
  if (r.scenarios.dm) parts.push('', dmSection(r.scenarios.dm));
  if (r.scenarios.connect) parts.push('', connectSection(r.scenarios.connect));
  if (r.scenarios.cluster) parts.push('', clusterSection(r.scenarios.cluster));
  if (Object.keys(r.profiles).length > 0) parts.push('', profileSection(r.profiles));
  parts.push(
    '',
    '## Method and limits',
    '',
    '- Latency is send→deliver: the sender writes its wall-clock time (µs) into the message text; the receiving worker subtracts it from its own clock (same machine, same clock). Acknowledgement latency is measured separately by the sender.',
    '- Open-loop steps send on the clock whatever the replies do; a message that gets no reply within 15 s, a refusal (non-2xx) or a closed socket fails the step. Deliveries are counted per step; after sending, the run waits until all expected deliveries arrived or none came for a second.',
    '- The server runs with `MVCHAT_AUTH_LIMIT=0` and `MVCHAT_FRAME_RATE=100000` so that abuse limits do not cap the load; everything else is the embedded default (SQLite in a temp folder, at-rest encryption on).',
    '- Users are signed up with `acc new` (Argon2, 64 MiB) into one data folder, kept in the temp folder between runs, and that folder is copied for every mvchat server, so every scenario starts from the same state. The cluster scenario signs up its own users on PostgreSQL (fewer, for time) and copies that database (`CREATE DATABASE … TEMPLATE`) per setup.',
    '- Fanout steps start with an unrecorded warm-up step; a step that fails on latency alone (nothing lost) is measured once more before the ramp stops, since the machine may be shared.',
    r.profiles && Object.keys(r.profiles).length > 0
      ? '- This run used `--profile`: mvchat ran under the V8 sampling profiler during fanout, dm and connect, which costs it a few per cent.'
      : '- No profiler was attached in this run.',
    '',
  );
  return parts.join('\n');
}

/** Writes bench/results/latest.json, docs/benchmarks.md and docs/bench-fanout.svg; returns the paths. */
export function writeReports(r: BenchResults): string[] {
  const json = path.join(ROOT, 'bench/results/latest.json');
  const md = path.join(ROOT, 'docs/benchmarks.md');
  const svg = path.join(ROOT, 'docs/bench-fanout.svg');
  mkdirSync(path.dirname(json), { recursive: true });
  writeFileSync(json, JSON.stringify(r, null, 2) + '\n');
  writeFileSync(md, markdown(r));
  const files = [json, md];
  const f = r.scenarios.fanout;
  if (f) {
    const series = Object.fromEntries(Object.entries(f.targets).map(([k, t]) => [k, t.points]));
    writeFileSync(svg, fanoutSvg(series, `fanout: room of ${fmt(f.members)} — p99 latency vs offered load`));
    files.push(svg);
  }
  return files;
}
