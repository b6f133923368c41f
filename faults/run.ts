/**
 * The fault suite: `npm run faults` (full, writes docs/reliability.md) or
 * `npm run faults -- --short` (part of `npm test`, prints only). Loopback
 * only; it starts and stops its own servers, and fails when any fault shows
 * an acknowledged message lost, a duplicate, or presence wrong past its bound.
 */
import { cleanUp, installCleanupHooks, runFolder } from './children.js';
import { postgresAvailable } from './pg-server.js';
import { clusterPhase, embeddedPhase } from './phases.js';
import { suitePlan } from './plan.js';
import { redisAvailable } from './redis-server.js';
import { loadNow, writeResults } from './reliability-doc.js';
import type { Row } from './round.js';
import { describeRow, renderTable } from './table.js';

const plan = suitePlan(process.argv.includes('--short'));
const startedAt = Date.now();
const loadAtStart = loadNow();
const rows: Row[] = [];
const failures: string[] = [];

installCleanupHooks();
setTimeout(() => {
  process.stderr.write(`\nfaults: still running after ${plan.limitMs / 1000} s; stopping\n`);
  process.exit(1);
}, plan.limitMs).unref();

function report(row: Row): void {
  rows.push(row);
  console.log(describeRow(row));
  for (const p of row.problems.slice(0, 12)) console.log(`       ${p}`);
}

async function main(): Promise<void> {
  console.log(
    `faults (${plan.mode}): cluster of 2 nodes with ${plan.cluster.clients} senders, embedded with ${plan.embedded.clients}; presence TTL ${plan.round.ttlSeconds} s`,
  );
  const dir = runFolder();
  const missing = [...(redisAvailable() ? [] : ['redis-server']), ...(postgresAvailable() ? [] : ['PostgreSQL 15 binaries'])];
  if (missing.length === 0) await clusterPhase(plan, dir, report).catch((err: Error) => failures.push(`cluster phase: ${err.stack ?? err.message}`));
  else if (process.env.MVCHAT_TEST_REQUIRE_SERVICES === '1') failures.push(`cluster faults need ${missing.join(' and ')}`);
  else console.log(`\n${'#'.repeat(72)}\n#  SKIPPED: cluster faults (${missing.join(' and ')} not installed)\n${'#'.repeat(72)}\n`);
  await embeddedPhase(plan, dir, report).catch((err: Error) => failures.push(`embedded phase: ${err.stack ?? err.message}`));
}

await main().finally(cleanUp);
const seconds = (Date.now() - startedAt) / 1000;
const table = renderTable(rows);
console.log(`\n${table}\n\nfaults (${plan.mode}) took ${seconds.toFixed(0)} s`);
if (plan.mode === 'full' && rows.length > 0) writeResults({ table, seconds, loadAtStart });
for (const f of failures) console.error(`FAIL: ${f}`);
const bad = rows.filter((r) => !r.ok);
const passed = rows.length - bad.length;
console.log(`${passed} passed, ${bad.length + failures.length} failed`);
process.exit(bad.length + failures.length > 0 ? 1 : 0);
