import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyPassword } from '../../src/crypto/passwords.js';
import { TestClient, basic } from '../helpers/client.js';
import { backends, startServer, PASSWORD } from '../helpers/server.js';

const codeText = (r: Record<string, any>) => [r.code, r.text];

for (const backend of backends()) {
  test(`[${backend}] wrong passwords sent at once over six sockets are checked no more often than the limit`, async () => {
    const s = await startServer(backend, { authLimit: 10 });
    try {
      await s.user('target01');
      const sockets = await Promise.all(Array.from({ length: 6 }, () => s.connect()));
      const replies = await Promise.all(
        Array.from({ length: 30 }, (_, i) => sockets[i % 6]!.request('login', { scheme: 'basic', secret: basic('target01', `guess-${i}`) })),
      );
      const texts = replies.map((r) => r.text);
      assert.equal(texts.filter((t) => t === 'invalid credentials').length, 10, 'only ten guesses were evaluated');
      assert.equal(texts.filter((t) => t === 'too many attempts').length, 20);
      // The right password is refused too while the budget is spent: a refusal says nothing about the password.
      assert.deepEqual(codeText(await sockets[0]!.request('login', { scheme: 'basic', secret: basic('target01', PASSWORD) })), [429, 'too many attempts']);
      for (const c of sockets) c.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] guesses of the current password in acc me share the login limit`, async () => {
    const s = await startServer(backend, { authLimit: 3 });
    try {
      const u = await s.user('owner01');
      const me = (secret: string) => u.client.request('acc', { user: 'me', secret });
      const codes = [];
      for (let i = 0; i < 5; i++) codes.push((await me(basic(`guess-${i}`, 'new-password-1'))).code);
      assert.deepEqual(codes, [403, 403, 403, 429, 429]);
      // Refused, even with the right current password, and nothing changed.
      assert.deepEqual(codeText(await me(basic(PASSWORD, 'new-password-1'))), [429, 'too many attempts']);
      const c = await s.connect();
      assert.deepEqual(codeText(await c.request('login', { scheme: 'basic', secret: basic('owner01', PASSWORD) })), [429, 'too many attempts']);
      const auth = await s.app.deps.stores.accounts.findBasicAuthByUser(u.id);
      assert.equal(await verifyPassword(PASSWORD, auth!.secret), true, 'the password is unchanged');
      u.client.close();
      c.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] a correct password does not reset the guesses counted against the account`, async () => {
    const s = await startServer(backend, { authLimit: 3 });
    try {
      await s.user('owner02');
      const guesser = await s.connect();
      const owner = await s.connect();
      const guess = (i: number) => guesser.request('login', { scheme: 'basic', secret: basic('owner02', `guess-${i}`) });
      assert.equal((await guess(0)).code, 401);
      assert.equal((await guess(1)).code, 401);
      assert.equal((await owner.request('login', { scheme: 'basic', secret: basic('owner02', PASSWORD) })).code, 200);
      assert.equal((await guess(2)).code, 401);
      assert.deepEqual(codeText(await guess(3)), [429, 'too many attempts']);
      guesser.close();
      owner.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] behind a trusted proxy the client address is the right-most untrusted X-Forwarded-For entry`, async () => {
    const s = await startServer(backend, { authLimit: 2, trustProxy: 1 });
    try {
      const signUp = async (forwarded: string, name: string) => {
        const c = await TestClient.connect(s.url, { headers: { 'x-forwarded-for': forwarded } });
        const r = await c.request('acc', { user: 'new', scheme: 'basic', secret: basic(name, PASSWORD) });
        c.close();
        return r.code;
      };
      // The client writes the left-most entries itself; the proxy appends the address it saw.
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push(await signUp(`198.51.100.${i}, 203.0.113.9`, `proxied${i}`));
      assert.deepEqual(codes, [201, 201, 429]);
      assert.equal(await signUp('198.51.100.1, 203.0.113.10', 'proxied9'), 201, 'another client behind the proxy has its own budget');
    } finally {
      await s.close();
    }
  });
}
