import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backends } from '../helpers/server.js';

for (const backend of backends()) {
  test(`[${backend}] hi, sign-up, login by token`, async () => {
    const s = await startServer(backend);
    try {
      const c = await s.connect();
      const hi = await c.request('hi', { ver: '0.1.0' });
      assert.equal(hi.code, 200);
      assert.equal(hi.params.ver, '0.1.0');
      const u = await s.user('dana');
      const c2 = await s.connect();
      const r = await c2.request('login', { scheme: 'token', secret: u.token });
      assert.equal(r.code, 200);
      assert.equal(r.params.user, u.id);
      const res = await fetch(`${s.httpUrl}/health`);
      assert.deepEqual(await res.json(), { status: 'ok', sessions: 3, online: 1, node: s.config.nodeId });
      c.close();
      c2.close();
      u.client.close();
    } finally {
      await s.close();
    }
  });
}
