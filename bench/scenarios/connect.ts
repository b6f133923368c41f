import { LoadRun } from '../lib/load-run.js';
import type { ClientSpec } from '../workers/transports.js';
import { fmt, KINDS, type BenchContext } from './context.js';

export interface ConnectTargetResult {
  sockets: number;
  opened: number;
  failed: number;
  seconds: number;
  loginsPerSec: number;
  rssBefore: number;
  rssAfter: number;
  heapBefore: number;
  heapAfter: number;
  rssPerSocket: number;
  heapPerSocket: number;
  cpu: { server: number[]; workers: number[] };
}

export interface ConnectResult {
  sockets: number;
  users: number;
  targets: Record<string, ConnectTargetResult>;
}

export function connectSockets(quick: boolean): number {
  return quick ? 1000 : 10_000;
}

function idleMs(quick: boolean): number {
  return quick ? 1000 : 2000;
}

/** S sockets connect and log in with tokens, then sit idle while the server's memory is read. */
export async function connect(ctx: BenchContext): Promise<ConnectResult> {
  const sockets = connectSockets(ctx.quick);
  const users = ctx.users;
  const targets: Record<string, ConnectTargetResult> = {};
  for (const kind of KINDS) {
    ctx.log(`  ${kind}: ${fmt(sockets)} sockets`);
    const server = await ctx.start(kind, { inspect: true, profileAs: 'connect' });
    try {
      const before = await server.memory();
      // Users are reused round robin: sign-up is slow by design, and a session costs the same either way.
      const specs: ClientSpec[] = Array.from({ length: sockets }, (_, g) => ({
        user: users[g % users.length]!,
        convs: [`bench-user-${g % users.length}`],
        node: 0,
      }));
      const opened = await LoadRun.open([server], specs, ctx.workers, 100);
      try {
        await new Promise((r) => setTimeout(r, idleMs(ctx.quick)));
        const after = await server.memory();
        const n = Math.max(1, opened.opened);
        targets[kind] = {
          sockets,
          opened: opened.opened,
          failed: opened.failed,
          seconds: opened.seconds,
          loginsPerSec: opened.opened / opened.seconds,
          rssBefore: before.rss,
          rssAfter: after.rss,
          heapBefore: before.heapUsed,
          heapAfter: after.heapUsed,
          rssPerSocket: (after.rss - before.rss) / n,
          heapPerSocket: (after.heapUsed - before.heapUsed) / n,
          cpu: opened.cpu,
        };
        const t = targets[kind];
        ctx.log(
          `    ${t.opened} logged in (${t.failed} failed${opened.firstError ? `: ${opened.firstError}` : ''}) in ${fmt(t.seconds, 2)} s = ${fmt(t.loginsPerSec)}/s; ` +
            `RSS +${fmt(t.rssPerSocket / 1024, 1)} KiB/socket, heap +${fmt(t.heapPerSocket / 1024, 1)} KiB/socket; cpu server ${t.cpu.server.join('+')}% workers ${t.cpu.workers.join('+')}%`,
        );
      } finally {
        await opened.run.close();
      }
    } finally {
      await server.stop();
    }
  }
  return { sockets, users: Math.min(users.length, sockets), targets };
}
