import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { atExit } from '../lib/children.js';
import { createDatabase, dropDatabases, REDIS_URL, unreachable } from '../lib/backing-services.js';
import { startTarget, type TargetKind, type TargetServer } from '../lib/servers.js';
import { LOAD_ENV, signUp, type BenchUser } from '../lib/user-pool.js';
import type { BenchContext } from './context.js';
import { dmOn, type DmTargetResult } from './dm.js';
import { fanoutOn } from './fanout.js';
import { rampFor } from './fanout-ramp.js';
import type { RampResult } from './fanout-ramp.js';

export interface ClusterSizes {
  users: number;
  pairs: number;
  members: number;
  dmMs: number;
  stepMs: number;
}

export interface ClusterRun {
  nodes: number;
  dm: DmTargetResult;
  fanout: RampResult;
}

export type ClusterResult = { skipped: string } | { pairs: number; members: number; targets: Record<string, ClusterRun> };

export function clusterUsers(quick: boolean): ClusterSizes {
  return quick ? { users: 20, pairs: 10, members: 20, dmMs: 500, stepMs: 300 } : { users: 500, pairs: 250, members: 500, dmMs: 5000, stepMs: 2000 };
}

function dataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mvchat-bench-node-'));
  atExit(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `count` nodes of one kind sharing a Redis prefix (and, for mvchat, one PostgreSQL database). */
async function startNodes(kind: TargetKind, count: number, env: Record<string, string>): Promise<TargetServer[]> {
  const prefix = `bench${randomUUID().slice(0, 8)}:`;
  const nodes: TargetServer[] = [];
  try {
    for (let i = 0; i < count; i++) {
      nodes.push(
        await startTarget(kind, { label: `${kind} node ${i + 1}`, env: { ...env, REDIS_URL, MVCHAT_REDIS_PREFIX: prefix, MVCHAT_DATA_DIR: dataDir() } }),
      );
    }
    return nodes;
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw err;
  }
}

/** `dm` and `fanout` on one node and on two nodes, mvchat on PostgreSQL + Redis and Socket.IO with its Redis adapter. */
export async function cluster(ctx: BenchContext, keys: Record<string, string>, sizes: ClusterSizes): Promise<ClusterResult> {
  const reason = await unreachable();
  if (reason) {
    ctx.log(`  skipped: ${reason}`);
    return { skipped: reason };
  }
  try {
    ctx.log(`  signing up ${sizes.users} users on PostgreSQL...`);
    const template = await createDatabase();
    const [signer] = await startNodes('mvchat', 1, { ...keys, ...LOAD_ENV, DATABASE_URL: template.url });
    let users: BenchUser[];
    try {
      users = await signUp(signer!.url, sizes.users);
    } finally {
      await signer!.stop();
    }
    const targets: Record<string, ClusterRun> = {};
    for (const kind of ['mvchat', 'socket.io'] as const) {
      for (const count of [1, 2]) {
        const label = `${kind} ×${count}`;
        ctx.log(`  ${label}`);
        const env = kind === 'mvchat' ? { ...keys, ...LOAD_ENV, DATABASE_URL: (await createDatabase(template.name)).url } : {};
        const nodes = await startNodes(kind, count, env);
        try {
          ctx.log(`   dm, ${sizes.pairs} pairs`);
          const dmResult = await dmOn(ctx, nodes, users, sizes.pairs, sizes.dmMs);
          ctx.log(`   fanout, room of ${sizes.members}`);
          const fanoutResult = await fanoutOn(ctx, nodes, users.slice(0, sizes.members), rampFor(ctx.quick, sizes.stepMs));
          targets[label] = { nodes: count, dm: dmResult, fanout: fanoutResult };
        } finally {
          await Promise.all(nodes.map((n) => n.stop()));
        }
      }
    }
    return { pairs: sizes.pairs, members: sizes.members, targets };
  } finally {
    await dropDatabases();
  }
}
