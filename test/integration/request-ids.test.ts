import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends, startServer } from '../helpers/server.js';
import type { TestClient } from '../helpers/client.js';

const ctrlOf = async (c: TestClient, pred: (ctrl: Record<string, any>) => boolean) => (await c.waitFor((f) => f.ctrl && pred(f.ctrl))).ctrl;

/** Raw text of every frame the socket receives, to see how an id was written. */
function rawFrames(c: TestClient): string[] {
  const out: string[] = [];
  c.ws.on('message', (data) => out.push(data.toString()));
  return out;
}

for (const backend of backends()) {
  test(`[${backend}] an error to a request with a long id carries that id`, async () => {
    const s = await startServer(backend, { frameRate: 1000 });
    try {
      const c = await s.connect();
      const long = 'L'.repeat(65);
      c.sendRaw(JSON.stringify({ id: long, hi: {} }));
      assert.deepEqual(pick(await ctrlOf(c, (x) => x.id === long)), { id: long, code: 400, text: 'malformed message' });
      const longer = `${'k'.repeat(300)}"quoted"\\`;
      c.sendRaw(JSON.stringify({ id: longer, login: { scheme: 'basic' } }));
      assert.deepEqual(pick(await ctrlOf(c, (x) => x.id === longer)), { id: longer, code: 400, text: 'malformed message' });
      // Not even JSON: the id is still read back.
      const cut = 'c'.repeat(250);
      c.sendRaw(`{"id":"${cut}","send":{"conv":`);
      assert.deepEqual(pick(await ctrlOf(c, (x) => x.id === cut)), { id: cut, code: 400, text: 'malformed message' });
      c.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] an error to a request whose id holds a lone surrogate carries the id, written escaped`, async () => {
    const s = await startServer(backend);
    try {
      const c = await s.connect();
      const raw = rawFrames(c);
      c.sendRaw('{"id":"x\\ud800y","hi":{}}');
      assert.deepEqual(pick(await ctrlOf(c, (x) => x.id === 'x\ud800y')), { id: 'x\ud800y', code: 400, text: 'malformed message' });
      assert.ok(
        raw.some((f) => f.includes('"id":"x\\ud800y"')),
        `written as an escape: ${raw.join(' ')}`,
      );
      c.sendRaw('{"id":"\\udc01\\u0000","hi":{}}');
      assert.equal((await ctrlOf(c, (x) => x.id === '\udc01\u0000')).code, 400);
      c.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] a request refused by the rate limit gets its id back even when long or nested ids come first`, async () => {
    const s = await startServer(backend, { frameRate: 1 });
    try {
      const c = await s.connect();
      const long = 'r'.repeat(100);
      for (let i = 0; i < 3; i++) c.sendRaw(JSON.stringify({ hi: { ua: '"id":"decoy"' }, id: `${long}${i}` }));
      const limited = await ctrlOf(c, (x) => x.code === 429);
      assert.match(limited.id, new RegExp(`^${long}\\d$`));
      c.close();
    } finally {
      await s.close();
    }
  });
}

function pick(ctrl: Record<string, any>) {
  return { id: ctrl.id, code: ctrl.code, text: ctrl.text };
}
