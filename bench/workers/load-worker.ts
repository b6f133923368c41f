import { Histogram } from '../lib/histogram.js';
import { markerText, nowUs } from '../lib/marker.js';
import { mapLimit } from '../lib/pool.js';
import type { SenderSpec, WorkerCommand, WorkerReply } from './protocol.js';
import { openClient, type LoadClient } from './transports.js';

/**
 * A load generator process: holds many clients, sends at the rate it is told,
 * and times every delivery. Runs apart from the orchestrator and the server so
 * its CPU use is its own (reported with every reply).
 */
const ACK_TIMEOUT_MS = 15_000;
const MAX_PENDING_PER_CLIENT = 500;

/** Indexed like the `open` command's list; null where opening failed. */
let clients: (LoadClient | null)[] = [];
const received = new Map<number, { delivered: number; latency: Histogram }>();

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function reply(r: WorkerReply): void {
  process.send!(r);
}

function phaseStats(phase: number) {
  let s = received.get(phase);
  if (!s) received.set(phase, (s = { delivered: 0, latency: new Histogram() }));
  return s;
}

function onMessage(phase: number, sentUs: number): void {
  const s = phaseStats(phase);
  s.delivered++;
  s.latency.record(nowUs() - sentUs);
}

async function open(cmd: Extract<WorkerCommand, { cmd: 'open' }>): Promise<void> {
  const start = performance.now();
  let failed = 0;
  let firstError: string | null = null;
  const opened = await mapLimit(cmd.clients.length, cmd.concurrency, async (i) => {
    try {
      const spec = cmd.clients[i]!;
      const c = await openClient(cmd.targets[spec.node]!, spec);
      c.onMessage = onMessage;
      return c;
    } catch (err) {
      failed++;
      firstError ??= String((err as Error).message ?? err);
      return null;
    }
  });
  clients = opened;
  reply({ cmd: 'open', opened: clients.length - failed, failed, firstError, ms: performance.now() - start, cpuMs: cpuMs() });
}

async function load(cmd: Extract<WorkerCommand, { cmd: 'load' }>): Promise<void> {
  const ackLatency = new Histogram();
  let sent = 0;
  let acked = 0;
  let failed = 0;
  let outstanding = 0;
  let allSent!: () => void;
  const drained = new Promise<void>((r) => (allSent = r));
  let sending = true;
  const senders = cmd.senders;
  const start = performance.now();
  const deadline = start + cmd.durationMs;

  const post = (s: SenderSpec, onDone?: () => void): void => {
    const c = clients[s.client];
    if (!c || !c.isOpen || c.pending >= MAX_PENDING_PER_CLIENT) {
      failed++;
      return;
    }
    const t0 = performance.now();
    sent++;
    outstanding++;
    let settled = false;
    const timer = setTimeout(() => settle(0), ACK_TIMEOUT_MS);
    const settle = (code: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outstanding--;
      if (code >= 200 && code < 300) {
        acked++;
        ackLatency.record((performance.now() - t0) * 1000);
      } else failed++;
      onDone?.();
      if (!sending && outstanding === 0) allSent();
    };
    c.send(s.conv, markerText(cmd.phase), settle);
  };

  if (cmd.mode === 'closed') {
    // Each sender keeps `window` messages in flight until the time is up.
    const next = (s: SenderSpec) => () => {
      if (performance.now() < deadline) post(s, next(s));
    };
    for (const s of senders) for (let w = 0; w < cmd.window; w++) post(s, next(s));
    await new Promise((r) => setTimeout(r, cmd.durationMs));
  } else {
    // Open loop: sends follow the clock, whatever the replies do.
    let rr = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        const due = Math.floor((Math.min(now, deadline) - start) * (cmd.rate / 1000)) - sent - failed;
        for (let i = 0; i < due && senders.length > 0; i++) post(senders[rr++ % senders.length]!);
        if (now >= deadline) resolve();
        else setTimeout(tick, 2);
      };
      tick();
    });
  }
  const ms = performance.now() - start;
  sending = false;
  if (outstanding > 0) await drained;
  reply({ cmd: 'load', sent, acked, failed, ackLatency: ackLatency.toData(), ms, cpuMs: cpuMs() });
}

function collect(phase: number): void {
  const s = phaseStats(phase);
  reply({
    cmd: 'collect',
    delivered: s.delivered,
    latency: s.latency.toData(),
    closedClients: clients.filter((c) => c !== null && !c.isOpen).length,
    cpuMs: cpuMs(),
  });
}

process.on('message', (msg: WorkerCommand) => {
  const run = async () => {
    if (msg.cmd === 'open') await open(msg);
    else if (msg.cmd === 'load') await load(msg);
    else if (msg.cmd === 'collect') collect(msg.phase);
    else if (msg.cmd === 'ping') reply({ cmd: 'ping', cpuMs: cpuMs() });
    else {
      for (const c of clients) c?.close();
      reply({ cmd: 'close', cpuMs: cpuMs() });
      process.disconnect();
      setTimeout(() => process.exit(0), 200).unref();
    }
  };
  run().catch((err: unknown) => reply({ cmd: 'error', message: String((err as Error)?.stack ?? err) }));
});
// The orchestrator going away (even by SIGKILL) ends the worker.
process.on('disconnect', () => setTimeout(() => process.exit(0), 200).unref());
