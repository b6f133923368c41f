import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { startServer } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';
import { OP_NAMES } from '../../src/protocol/op-names.js';

const ctrlOf = async (c: TestClient, pred: (ctrl: Record<string, any>) => boolean) => (await c.waitFor((f) => f.ctrl && pred(f.ctrl))).ctrl;

test('envelope errors carry the request id whenever it could be read (DEFECTS 4, 5, 9)', async () => {
  const s = await startServer();
  try {
    const c = await s.connect();
    c.sendRaw('{"id":"t1","send":{"conv":');
    assert.deepEqual(pick(await ctrlOf(c, (x) => x.id === 't1')), { id: 't1', code: 400, text: 'malformed message' });
    c.send({ id: 't2', hi: { ver: 5 } });
    assert.deepEqual(pick(await ctrlOf(c, (x) => x.id === 't2')), { id: 't2', code: 400, text: 'malformed message' });
    c.send({ id: 't3', group: { id: 'new' } });
    assert.deepEqual(pick(await ctrlOf(c, (x) => x.id === 't3')), { id: 't3', code: 400, text: 'missing message type' });
    c.send({ id: 't4', hi: {}, login: {} });
    assert.deepEqual(pick(await ctrlOf(c, (x) => x.id === 't4')), { id: 't4', code: 400, text: 'exactly one message type required' });
    c.send({ id: 77, hi: {} });
    const numeric = await ctrlOf(c, (x) => x.text === 'malformed message' && x.id === undefined);
    assert.equal(numeric.code, 400);
    // Binary frames are accepted when they hold valid UTF-8 JSON...
    c.sendRaw(Buffer.from(JSON.stringify({ id: 'b1', hi: { ver: '0.1.0' } })), true);
    assert.equal((await ctrlOf(c, (x) => x.id === 'b1')).code, 200);
    // ...and refused when they do not (DEFECTS 17).
    c.sendRaw(Buffer.concat([Buffer.from('{"id":"b2","hi":{"ua":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]), true);
    const bad = await ctrlOf(c, (x) => x.code === 400 && x.text === 'malformed message' && x.id === undefined && c.frames.length > 6);
    assert.ok(bad);
    // Oversize strings are 400 with the id, never a database error (DEFECTS 20).
    c.send({ id: 'r2', hi: { ua: 'x'.repeat(300) } });
    assert.deepEqual(pick(await ctrlOf(c, (x) => x.id === 'r2')), { id: 'r2', code: 400, text: 'malformed message' });
    // The socket stays usable after every one of these.
    assert.equal((await c.request('hi', {})).code, 200);
    c.close();
  } finally {
    await s.close();
  }
});

test('every op but typing needs a non-empty id (DEFECTS 4)', async () => {
  const s = await startServer('sqlite', { frameRate: 1000 });
  try {
    const c = await s.connect();
    for (const op of OP_NAMES.filter((o) => o !== 'typing')) {
      c.send({ [op]: {} });
      c.send({ id: '', [op]: {} });
    }
    c.send({ id: 'done', hi: {} });
    await ctrlOf(c, (x) => x.id === 'done');
    const refusals = c.frames.filter((f) => f.ctrl?.text === 'message id required');
    assert.equal(refusals.length, (OP_NAMES.length - 1) * 2);
    for (const f of refusals) assert.equal(f.ctrl.id, undefined);
    c.close();
  } finally {
    await s.close();
  }
});

test('every protected op before login gets 401 with its id (DEFECTS 8)', async () => {
  const s = await startServer();
  try {
    const c = await s.connect();
    const open = new Set(['hi', 'login']);
    for (const op of OP_NAMES.filter((o) => !open.has(o))) {
      const body = op === 'acc' ? { user: 'me' } : { conv: '3f1c2b7e-8a41-4d8e-9b0c-5e2f7a6d1c90', what: 'conversations' };
      const r = await c.request(op, body);
      assert.deepEqual(pick(r), { id: r.id, code: 401, text: 'authentication required' }, op);
    }
    c.send({ id: 'ty', typing: { conv: 'x' } });
    assert.equal((await ctrlOf(c, (x) => x.id === 'ty')).code, 401);
    c.close();
  } finally {
    await s.close();
  }
});

test('a frame over 64 KiB closes the socket with 1009, also when compressed (DEFECTS 18)', async () => {
  const s = await startServer('sqlite', { compression: true });
  try {
    const c = await s.connect();
    c.sendRaw(JSON.stringify({ id: '1', hi: { ua: 'x'.repeat(70_000) } }));
    assert.equal((await c.closed).code, 1009);
    const z = await TestClient.connect(s.url, { perMessageDeflate: true });
    assert.ok(z.ws.extensions.includes('permessage-deflate'));
    const big = JSON.stringify({ id: '2', hi: { ua: 'a'.repeat(200_000) } });
    assert.ok(deflateRawSync(big).length < 65_536);
    z.sendRaw(big);
    assert.equal((await z.closed).code, 1009);
  } finally {
    await s.close();
  }
});

test('unknown HTTP paths answer 404 and /v0/channels speaks the protocol', async () => {
  const s = await startServer();
  try {
    const res = await fetch(`${s.httpUrl}/nope`);
    assert.equal(res.status, 404);
    assert.equal(await res.text(), '404 page not found\n');
    const c = await TestClient.connect(`ws://127.0.0.1:${s.port}/v0/channels`);
    assert.equal((await c.request('hi', {})).code, 200);
    c.close();
  } finally {
    await s.close();
  }
});

test('origin policy is the same for WebSocket and CORS (§12 item 22)', async () => {
  const s = await startServer('sqlite', { allowedOrigins: ['https://app.example.org', 'https://*.example.net'] });
  try {
    await assert.rejects(TestClient.connect(s.url, { origin: 'https://evil.example.com' }), /403/);
    const ok = await TestClient.connect(s.url, { origin: 'https://a.example.net' });
    ok.close();
    const pre = await fetch(`${s.httpUrl}/health`, { method: 'OPTIONS', headers: { origin: 'https://app.example.org' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'https://app.example.org');
    const denied = await fetch(`${s.httpUrl}/health`, { method: 'OPTIONS', headers: { origin: 'https://evil.example.com' } });
    assert.equal(denied.status, 403);
  } finally {
    await s.close();
  }
  const open = await startServer('sqlite', { allowedOrigins: [] });
  try {
    const c = await TestClient.connect(open.url, { origin: 'https://anything.example' });
    c.close();
    const res = await fetch(`${open.httpUrl}/health`, { headers: { origin: 'https://anything.example' } });
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://anything.example');
  } finally {
    await open.close();
  }
});

function pick(ctrl: Record<string, any>) {
  return { id: ctrl.id, code: ctrl.code, text: ctrl.text };
}
