#!/usr/bin/env node
// Runs dependency-cruiser with .dependency-cruiser.cjs over every source folder
// and exits non-zero on any violation. dependency-cruiser 18's command line
// refuses Node 20 (its engines say ^22), but its engine runs fine on Node 20,
// so on older Node this calls the same entry point the command line calls.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(root);
const folders = ['src', 'test', 'bench', 'client', 'scripts'].filter((f) => existsSync(f));
const options = { config: '.dependency-cruiser.cjs', outputType: 'err-long', tsPreCompilationDeps: true, metrics: false, cache: false };

const pkgDir = path.join(root, 'node_modules', 'dependency-cruiser');
const major = Number(process.versions.node.split('.')[0]);

if (major >= 22) {
  const bin = path.join(pkgDir, 'bin', 'dependency-cruiser.mjs');
  const r = spawnSync(process.execPath, [bin, '--config', options.config, '--output-type', options.outputType, ...folders], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else {
  const { default: executeCli } = await import(path.join(pkgDir, 'src', 'cli', 'index.mjs'));
  process.exitCode = await executeCli(folders, options);
}
