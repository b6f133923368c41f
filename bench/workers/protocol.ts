import type { HistogramData } from '../lib/histogram.js';
import type { ClientSpec, Target } from './transports.js';

/** Orchestrator → worker commands (over the fork IPC channel). */
export type WorkerCommand =
  | { cmd: 'open'; targets: Target[]; clients: ClientSpec[]; concurrency: number }
  | { cmd: 'load'; phase: number; senders: SenderSpec[]; durationMs: number; mode: 'open'; rate: number }
  | { cmd: 'load'; phase: number; senders: SenderSpec[]; durationMs: number; mode: 'closed'; window: number }
  | { cmd: 'collect'; phase: number }
  | { cmd: 'ping' }
  | { cmd: 'close' };

/** Client `client` (index into the opened list) posts into `conv`. */
export interface SenderSpec {
  client: number;
  conv: string;
}

export interface Cpu {
  /** Cumulative user + system CPU of the worker, ms. */
  cpuMs: number;
}

export type WorkerReply =
  | ({ cmd: 'open'; opened: number; failed: number; firstError: string | null; ms: number } & Cpu)
  | ({ cmd: 'load'; sent: number; acked: number; failed: number; ackLatency: HistogramData; ms: number } & Cpu)
  | ({ cmd: 'collect'; delivered: number; latency: HistogramData; closedClients: number } & Cpu)
  | ({ cmd: 'ping' } & Cpu)
  | ({ cmd: 'close' } & Cpu)
  | { cmd: 'error'; message: string };
