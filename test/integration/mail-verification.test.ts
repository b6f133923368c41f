import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startServer, backends, PASSWORD } from '../helpers/server.js';
import { basic } from '../helpers/client.js';
import { eventually, mailHeader, mailText, outboxMails } from '../helpers/mail-capture.js';

function codeFrom(raw: string): string {
  const m = /Your invite code: ([A-Za-z0-9_-]{10})/.exec(mailText(raw));
  assert.ok(m, 'the mail shows the code');
  return m[1]!;
}

for (const backend of backends()) {
  test(`[${backend}] without SMTP, mails land in the outbox; verification link verifies once`, async () => {
    const s = await startServer(backend, { emailVerification: true, publicBaseUrl: 'https://chat.example.org' });
    try {
      const dana = await s.user();
      const inv = await dana.client.request('invite', { create: { email: 'eli@example.org' } });
      const invite = await eventually(() => outboxMails(s.config.dataDir).find((m) => mailHeader(m, 'To') === 'eli@example.org'));
      assert.equal(codeFrom(invite), inv.params.code);
      assert.equal(mailHeader(invite, 'Subject'), `${dana.name} invited you to chat on mvchat`);

      const eli = await s.connect();
      const r = await eli.request('acc', { user: 'new', scheme: 'basic', secret: basic('eli_mail', PASSWORD), login: true, inviteCode: inv.params.code });
      assert.equal(r.code, 201);
      assert.equal(r.params.emailVerified, false);

      const verify = await eventually(() => outboxMails(s.config.dataDir).find((m) => mailHeader(m, 'Subject') === 'Verify your email address'));
      assert.equal(mailHeader(verify, 'To'), 'eli@example.org');
      const link = /https:\/\/chat\.example\.org\/verify-email\?token=([A-Za-z0-9_%-]+)/.exec(mailText(verify));
      assert.ok(link, 'the mail links to <publicBaseUrl>/verify-email');
      const token = decodeURIComponent(link[1]!);
      assert.match(token, /^[A-Za-z0-9_-]{43}=$/, '32 bytes, URL-safe base64 with padding');
      assert.ok(link[1]!.endsWith('%3D'), 'the token is URL-encoded in the link');

      const page = await fetch(`${s.httpUrl}/verify-email?token=${link[1]}`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(await page.text(), /verified/i);

      const relog = await s.connect();
      const login = await relog.request('login', { scheme: 'basic', secret: basic('eli_mail', PASSWORD) });
      assert.equal(login.params.emailVerified, true);

      const twice = await fetch(`${s.httpUrl}/verify-email?token=${encodeURIComponent(token)}`);
      assert.deepEqual([twice.status, await twice.text()], [400, 'Invalid or expired verification link\n']);
      dana.client.close();
      eli.close();
      relog.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] /verify-email answers exactly: missing, unknown, expired, deleted, wrong method`, async () => {
    const s = await startServer(backend, { emailVerification: true });
    try {
      const missing = await fetch(`${s.httpUrl}/verify-email`);
      assert.deepEqual([missing.status, await missing.text()], [400, 'Missing verification token\n']);
      assert.equal(missing.headers.get('content-type'), 'text/plain; charset=utf-8');
      const empty = await fetch(`${s.httpUrl}/verify-email?token=`);
      assert.deepEqual([empty.status, await empty.text()], [400, 'Missing verification token\n']);
      const unknown = await fetch(`${s.httpUrl}/verify-email?token=nope`);
      assert.deepEqual([unknown.status, await unknown.text()], [400, 'Invalid or expired verification link\n']);
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        const r = await fetch(`${s.httpUrl}/verify-email?token=x`, { method, headers: { 'content-type': 'application/x-unknown' }, body: 'x' });
        assert.deepEqual([r.status, await r.text()], [405, 'Method not allowed\n'], method);
      }
      const head = await fetch(`${s.httpUrl}/verify-email?token=x`, { method: 'HEAD' });
      assert.equal(head.status, 405);

      const k = s.app.deps.stores.db.kysely;
      const u = await s.user();
      const past = new Date(Date.now() - 1000);
      await k
        .updateTable('users')
        .set({ email_verified: false, email_verification_token: 'expired-token=', email_verification_expires: past })
        .where('id', '=', u.id)
        .execute();
      const expired = await fetch(`${s.httpUrl}/verify-email?token=expired-token%3D`);
      assert.deepEqual([expired.status, await expired.text()], [400, 'Invalid or expired verification link\n']);
      const future = new Date(Date.now() + 3600_000);
      await k
        .updateTable('users')
        .set({ email_verification_token: 'deleted-token=', email_verification_expires: future, state: 'deleted' })
        .where('id', '=', u.id)
        .execute();
      const deleted = await fetch(`${s.httpUrl}/verify-email?token=deleted-token=`);
      assert.deepEqual([deleted.status, await deleted.text()], [400, 'Invalid or expired verification link\n']);
      await k.updateTable('users').set({ state: 'ok' }).where('id', '=', u.id).execute();
      const unescaped = await fetch(`${s.httpUrl}/verify-email?token=deleted-token=`);
      assert.equal(unescaped.status, 200, 'a token with a bare trailing "=" (reference links) works');
      u.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] an unreachable SMTP server delays nothing; the failure is retried, logged and counted`, async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    await new Promise<void>((r) => blocker.close(() => r()));
    const s = await startServer(backend, { smtpUrl: `smtp://127.0.0.1:${port}` });
    try {
      const dana = await s.user();
      const started = Date.now();
      const r = await dana.client.request('invite', { create: { email: 'eli@example.org' } });
      assert.equal(r.code, 201);
      assert.ok(Date.now() - started < 2000, 'the reply does not wait for mail');
      await eventually(async () => {
        const text = await (await fetch(`${s.httpUrl}/metrics`)).text();
        return /mvchat_backend_errors_total\{backend="mail"\} 1\b/.test(text) ? true : undefined;
      }, 15_000);
      dana.client.close();
    } finally {
      await s.close();
    }
  });
}
