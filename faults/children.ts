import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stopChild } from '../bench/lib/children.js';

export { stopChild };

/**
 * Everything the suite starts: child processes and its one temp folder. On a
 * normal end, `cleanUp` stops them in order; on a crash, an uncaught error,
 * SIGINT or SIGTERM the exit hook kills whatever is left and removes the folder.
 */
const children = new Map<ChildProcess, NodeJS.Signals>();
let root: string | undefined;

/** The run's temp folder, made on first use; others may traverse it (the PostgreSQL user needs to). */
export function runFolder(): string {
  if (!root) {
    root = mkdtempSync(path.join(tmpdir(), 'mvchat-faults-'));
    chmodSync(root, 0o711);
  }
  return root;
}

/** Remembers `child`; `signal` is what stops it at once and cleanly enough (SIGQUIT for PostgreSQL). */
export function track(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): ChildProcess {
  children.set(child, signal);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Stops every child still running and removes the temp folder. */
export async function cleanUp(): Promise<void> {
  await Promise.all([...children].map(([child, signal]) => stopChild(child, signal, 5000)));
  removeFolder();
}

function removeFolder(): void {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
}

function killNow(): void {
  for (const [child, signal] of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  children.clear();
  try {
    removeFolder();
  } catch {
    /* best effort at exit */
  }
}

/** Installs the exit hooks; `onSignal` prints why the run stops. */
export function installCleanupHooks(): void {
  process.on('exit', killNow);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\nfaults: ${sig}, stopping child processes\n`);
      killNow();
      process.exit(130);
    });
  }
}
