import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestClient } from '../helpers/client.js';

const root = path.resolve(import.meta.dirname, '../..');

test('the server process starts with no setup, and SIGTERM closes sockets with 1001 and exits 0 within 10 s', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mvchat-proc-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, MVCHAT_PORT: '0', MVCHAT_HOST: '127.0.0.1', MVCHAT_DATA_DIR: dataDir, MVCHAT_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /"port":(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    const c = await TestClient.connect(`ws://127.0.0.1:${port}/v0/ws`);
    assert.equal((await c.request('hi', {})).code, 200);
    const started = Date.now();
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal((await c.closed).code, 1001);
    assert.equal(await exited, 0);
    assert.ok(Date.now() - started < 10_000);
  } finally {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
