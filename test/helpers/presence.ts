import assert from 'node:assert/strict';
import type { TestClient } from './client.js';
import type { TestServer } from './server.js';
import type { TestUser } from './conversation-fixtures.js';

/** A second socket of `u`, logged in with her token. */
export async function login(s: TestServer, u: TestUser): Promise<TestClient> {
  const c = await s.connect();
  assert.equal((await c.request('login', { scheme: 'token', secret: u.token })).code, 200);
  return c;
}

/** A frame `to` surely gets after anything published to it before: `marker` comes online and goes off in a DM with `to`. */
export async function flushPres(s: TestServer, to: TestUser): Promise<void> {
  const marker = await s.user();
  await to.client.request('dm', { user: marker.id });
  marker.client.close();
  await to.client.waitFor((f) => f.pres?.user === marker.id && f.pres.what === 'off');
}

/** Every `pres` frame about `id` that `c` received. */
export const presOf = (c: TestClient, id: string) => c.frames.filter((f) => f.pres?.user === id);
