#!/usr/bin/env node
// Runs dependency-cruiser with .dependency-cruiser.cjs over every source folder
// that exists and exits non-zero on any violation.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const folders = ['src', 'test', 'bench', 'client', 'scripts', 'faults'].filter((f) => existsSync(path.join(root, f)));
const bin = path.join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const r = spawnSync(process.execPath, [bin, '--config', '.dependency-cruiser.cjs', '--output-type', 'err-long', ...folders], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
