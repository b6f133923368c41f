import type { CpuShare, PhaseResult } from '../lib/load-run.js';
import type { TargetServer, TargetKind } from '../lib/servers.js';
import type { BenchUser } from '../lib/user-pool.js';

/** What every scenario gets from the orchestrator. */
export interface BenchContext {
  quick: boolean;
  /** Load-generator processes per scenario. */
  workers: number;
  /** Signed-up users in a data folder to copy; at least as many as the scenario asked for at start. */
  users: BenchUser[];
  /** Starts a server of one kind, fresh (mvchat gets a copy of the user data set). */
  start(kind: TargetKind, opts?: { inspect?: boolean; profileAs?: string }): Promise<TargetServer>;
  log(line: string): void;
}

export const KINDS: TargetKind[] = ['mvchat', 'bare-ws', 'socket.io'];

/** A measured point of a rising-load run. */
export interface StepPoint {
  offeredDeliveries: number;
  deliveredPerSec: number;
  p50: number;
  p99: number;
  lost: number;
  failed: number;
  passed: boolean;
  cpu: CpuShare;
}

export function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a';
}

export function phaseLine(p: PhaseResult): string {
  return `acked ${fmt(p.ackedPerSec)}/s, delivered ${fmt(p.deliveredPerSec)}/s, p50 ${fmt(p.latency.p50, 1)} ms, p99 ${fmt(p.latency.p99, 1)} ms, lost ${p.lost}, failed ${p.failed}, cpu server ${p.cpu.server.join('+')}% workers ${p.cpu.workers.join('+')}%`;
}
