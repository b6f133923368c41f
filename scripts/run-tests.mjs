#!/usr/bin/env node
// Runs every test file with node's test runner. PostgreSQL and Redis suites run
// when MVCHAT_TEST_DATABASE_URL / MVCHAT_TEST_REDIS_URL are set; with
// MVCHAT_TEST_REQUIRE_SERVICES=1 (CI) an unreachable service fails the run.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const only = process.argv.slice(2);

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

function reachable(url, defaultPort) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const sock = createConnection({ host: u.hostname, port: Number(u.port || defaultPort) });
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(3000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

const require = process.env.MVCHAT_TEST_REQUIRE_SERVICES === '1';
const services = [
  ['PostgreSQL', 'MVCHAT_TEST_DATABASE_URL', 5432, 'store, integration and cluster suites on PostgreSQL'],
  ['Redis', 'MVCHAT_TEST_REDIS_URL', 6379, 'bus/presence suite on Redis and multi-node cluster tests'],
];
const skipped = [];
for (const [name, env, port, what] of services) {
  const url = process.env[env];
  if (!url) {
    if (require) {
      console.error(`FAIL: ${env} is not set but MVCHAT_TEST_REQUIRE_SERVICES=1`);
      process.exit(1);
    }
    skipped.push(`${name}: ${what} (set ${env} to run them)`);
    continue;
  }
  if (!(await reachable(url, port))) {
    console.error(`FAIL: ${name} at ${url} is unreachable (${env}); refusing to skip its suites`);
    process.exit(1);
  }
}

const files = only.length > 0 ? only : findTests(path.join(root, 'test'));
const banner = (lines) => console.log(['', '#'.repeat(72), ...lines.map((l) => `#  ${l}`), '#'.repeat(72), ''].join('\n'));
if (skipped.length > 0) banner(['SKIPPED (services not configured):', ...skipped]);

const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
  cwd: root,
  env: { ...process.env, NODE_NO_WARNINGS: '1' },
});
if (skipped.length > 0) banner(['REMINDER: skipped suites:', ...skipped]);
process.exit(result.status ?? 1);
