import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, PASSWORD } from '../helpers/server.js';
import { TestClient, basic } from '../helpers/client.js';
import { presFrame } from '../../src/protocol/frames.js';

test('login and a protected op sent back to back: the op sees the login or is refused, never a mix (DEFECTS 1)', async () => {
  const s = await startServer('sqlite', { frameRate: 10_000 });
  try {
    const a = await s.user('alice1');
    const b = await s.user('bobby1');
    const c = await s.connect();
    for (let i = 0; i < 40; i++) {
      const who = i % 2 === 0 ? a : b;
      c.send({ id: `l${i}`, login: { scheme: 'token', secret: who.token } });
      c.send({ id: `q${i}`, acc: { user: 'me', lang: `l${i}` } });
    }
    c.send({ id: 'end', hi: {} });
    await c.waitFor((f) => f.ctrl?.id === 'end');
    for (let i = 0; i < 40; i++) {
      const login = c.frames.find((f) => f.ctrl?.id === `l${i}`)?.ctrl;
      const op = c.frames.find((f) => f.ctrl?.id === `q${i}`)?.ctrl;
      assert.equal(login?.params.user, (i % 2 === 0 ? a : b).id);
      assert.equal(op?.code, 200);
    }
    // The last login (b) owns the socket; a has only its own socket indexed.
    const me = await c.request('login', { scheme: 'token', secret: b.token });
    assert.equal(me.params.user, b.id);
    assert.equal(me.params.lang, 'l39');
    assert.equal([...s.app.registry.sessions()].filter((x) => x.userId === a.id).length, 1);
    c.close();
    a.client.close();
    b.client.close();
  } finally {
    await s.close();
  }
});

test('re-login on one socket moves it: no double registration, old user leaves the index (§12 items 24, 25; DEFECTS 16)', async () => {
  const s = await startServer('sqlite', { frameRate: 10_000 });
  try {
    const a = await s.user('amira1');
    const b = await s.user('bruno1');
    const c = await s.connect();
    for (const who of [a, a, b, a, b, b]) assert.equal((await c.request('login', { scheme: 'token', secret: who.token })).code, 200);
    a.client.close();
    await a.client.closed;
    // Only c (as b) and b's own client remain; a is no longer indexed anywhere.
    await waitUntil(() => !s.app.registry.hasUser(a.id));
    s.app.deps.bus.publish([a.id], presFrame({ user: a.id, what: 'on' }));
    s.app.deps.bus.publish([b.id], presFrame({ user: 'marker', what: 'on' }));
    await c.waitFor((f) => f.pres?.user === 'marker');
    assert.equal(c.frames.filter((f) => f.pres?.user === a.id).length, 0);
    assert.equal(c.frames.filter((f) => f.pres?.user === 'marker').length, 1, 'delivered exactly once');
    c.close();
    b.client.close();
  } finally {
    await s.close();
  }
});

test('flooding gets 429 with ids, then the socket is closed; other sessions are unaffected (DEFECTS 2)', async () => {
  const s = await startServer('sqlite', { frameRate: 20 });
  try {
    const calm = await s.user('calm01');
    const flood = await s.connect();
    for (let i = 0; i < 200; i++) flood.send({ id: `f${i}`, hi: {} });
    const limited = await flood.waitFor((f) => f.ctrl?.code === 429);
    assert.equal(limited.ctrl.text, 'rate limited');
    assert.match(limited.ctrl.id, /^f\d+$/);
    assert.equal((await flood.closed).code, 4008);
    // The calm session kept being served normally throughout.
    for (let i = 0; i < 5; i++) assert.equal((await calm.client.request('hi', {})).code, 200);
    calm.client.close();
  } finally {
    await s.close();
  }
});

test('failed logins are throttled per account name (DEFECTS 2, §12 item 15)', async () => {
  const s = await startServer('sqlite', { authLimit: 3, frameRate: 1000 });
  try {
    const u = await s.user('victim1');
    const c = await s.connect();
    for (let i = 0; i < 3; i++) {
      const r = await c.request('login', { scheme: 'basic', secret: basic('victim1', `guess${i}xx`) });
      assert.equal(r.text, 'invalid credentials');
    }
    const blocked = await c.request('login', { scheme: 'basic', secret: basic('victim1', PASSWORD) });
    assert.deepEqual([blocked.code, blocked.text], [429, 'too many attempts']);
    // Another name is not affected by this name's failures... until the address budget is spent.
    const other = await s.user('other01');
    const ok = await c.request('login', { scheme: 'basic', secret: basic('other01', PASSWORD) });
    assert.equal(ok.code, 200);
    u.client.close();
    other.client.close();
    c.close();
  } finally {
    await s.close();
  }
});

test('sign-ups are throttled per client address', async () => {
  const s = await startServer('sqlite', { authLimit: 2, frameRate: 1000 });
  try {
    const c = await s.connect();
    const codes = [];
    for (let i = 0; i < 3; i++) {
      codes.push((await c.request('acc', { user: 'new', scheme: 'basic', secret: basic(`signup${i}`, PASSWORD) })).code);
    }
    assert.deepEqual(codes, [201, 201, 429]);
    c.close();
  } finally {
    await s.close();
  }
});

test('unauthenticated sockets are closed at the auth timeout with 4001; logged-in silent clients stay (DEFECTS 12)', async () => {
  const s = await startServer('sqlite', { authTimeout: 0.4, heartbeatInterval: 0.15 });
  try {
    const idle = await s.connect();
    const u = await s.user('stays1');
    assert.equal((await idle.closed).code, 4001);
    await new Promise((r) => setTimeout(r, 600)); // several heartbeat rounds; ws answers pings itself
    assert.equal(u.client.ws.readyState, u.client.ws.OPEN);
    u.client.close();
  } finally {
    await s.close();
  }
});

test('a peer that stops answering pings is closed after the heartbeat window (DEFECTS 12)', async () => {
  const s = await startServer('sqlite', { heartbeatInterval: 0.1 });
  try {
    const c = await TestClient.connect(s.url, { autoPong: false });
    const r = await c.closed;
    assert.equal(r.code, 1006); // terminated without a close frame
    await waitUntil(() => s.app.registry.sessionCount === 0);
  } finally {
    await s.close();
  }
});

test('thousands of sockets opening and closing leave no session behind (DEFECTS 3, 6)', async () => {
  const s = await startServer('sqlite', { frameRate: 1000 });
  try {
    const u = await s.user('many01');
    const token = u.token;
    const clients: TestClient[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const opened = await Promise.all(Array.from({ length: 100 }, () => TestClient.connect(s.url)));
      await Promise.all(opened.map((c) => c.request('login', { scheme: 'token', secret: token })));
      clients.push(...opened);
    }
    assert.equal(s.app.registry.sessionCount, 1001);
    // Fan-out into sessions that are closing at the same moment: no throw, nothing kept.
    const frame = presFrame({ user: u.id, what: 'on' });
    for (const c of clients) c.ws.terminate();
    for (let i = 0; i < 2000; i++) s.app.deps.bus.publish([u.id], frame);
    await waitUntil(() => s.app.registry.sessionCount === 1);
    u.client.close();
    await waitUntil(() => s.app.registry.sessionCount === 0 && s.app.registry.userCount === 0);
    const health = (await (await fetch(`${s.httpUrl}/health`)).json()) as { sessions: number; online: number };
    assert.deepEqual([health.sessions, health.online], [0, 0]);
  } finally {
    await s.close();
  }
});

async function waitUntil(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}
