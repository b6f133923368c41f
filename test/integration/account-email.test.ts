import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends, startServer, withServer, PASSWORD, type TestServer } from '../helpers/server.js';
import { basic, type Frame } from '../helpers/client.js';
import { eventually, mailHeader, mailText, outboxMails } from '../helpers/mail-capture.js';

const codeText = (r: Frame) => [r.code, r.text];

/** The verification links mailed to `to` (outbox), oldest first. */
function verificationLinks(s: TestServer, to: string): string[] {
  return outboxMails(s.config.dataDir)
    .filter((m) => mailHeader(m, 'To') === to && mailHeader(m, 'Subject') === 'Verify your email address')
    .map((m) => /\/verify-email\?token=([A-Za-z0-9_%-]+)/.exec(mailText(m))?.[1] ?? '');
}

async function signUp(s: TestServer, name: string, inviteCode?: string): Promise<Frame> {
  const c = await s.connect();
  const r = await c.request('acc', { user: 'new', scheme: 'basic', secret: basic(name, PASSWORD), login: false, ...(inviteCode ? { inviteCode } : {}) });
  c.close();
  return r;
}

async function loginAs(s: TestServer, name: string): Promise<Frame> {
  const c = await s.connect();
  const r = await c.request('login', { scheme: 'basic', secret: basic(name, PASSWORD) });
  c.close();
  return r;
}

for (const backend of backends()) {
  test(`[${backend}] a changed e-mail is unverified until its link is followed`, async () => {
    const s = await startServer(backend, { emailVerification: true, publicBaseUrl: 'https://chat.example.org' });
    try {
      const u = await s.user('gwen_mail');
      const r = await u.client.request('acc', { user: 'me', email: 'gwen@example.org' });
      assert.equal(r.code, 200);
      assert.equal(r.params.email, 'gwen@example.org');
      assert.equal(r.params.emailVerified, false);
      assert.equal((await loginAs(s, 'gwen_mail')).params.emailVerified, false);
      const [link] = await eventually(() => {
        const l = verificationLinks(s, 'gwen@example.org');
        return l.length > 0 ? l : undefined;
      });
      const page = await fetch(`${s.httpUrl}/verify-email?token=${link}`);
      assert.equal(page.status, 200);
      assert.equal((await loginAs(s, 'gwen_mail')).params.emailVerified, true);
      // Changing it again makes it unverified again.
      const again = await u.client.request('acc', { user: 'me', email: 'gwen2@example.org' });
      assert.equal(again.params.emailVerified, false);
      assert.equal((await loginAs(s, 'gwen_mail')).params.emailVerified, false);
      u.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] a changed e-mail is unverified when verification is off, and no mail is sent`, () =>
    withServer(backend, async (s) => {
      const u = await s.user('hope_mail');
      const r = await u.client.request('acc', { user: 'me', email: 'hope@example.org' });
      assert.deepEqual([r.code, r.params.emailVerified], [200, false]);
      assert.equal((await loginAs(s, 'hope_mail')).params.emailVerified, false);
      assert.deepEqual(verificationLinks(s, 'hope@example.org'), []);
      u.client.close();
    }));

  test(`[${backend}] an address someone else typed does not take the slot: its owner signs up through her invite`, () =>
    withServer(backend, async (s) => {
      const squatter = await s.user();
      const inviter = await s.user();
      assert.equal((await squatter.client.request('acc', { user: 'me', email: 'iris@example.org' })).code, 200);
      const inv = await inviter.client.request('invite', { create: { email: 'iris@example.org' } });
      const r = await signUp(s, 'iris_owner', inv.params.code);
      assert.equal(r.code, 201);
      assert.deepEqual(r.params.inviters, [inviter.id]);
      // Her address is now verified (verification off: the code mailed to it is the proof) and holds the slot.
      assert.equal((await loginAs(s, 'iris_owner')).params.emailVerified, true);
      squatter.client.close();
      inviter.client.close();
    }));

  test(`[${backend}] the real owner verifies her address even when someone else typed it first`, async () => {
    const s = await startServer(backend, { emailVerification: true });
    try {
      const squatter = await s.user('sq_mail');
      assert.equal((await squatter.client.request('acc', { user: 'me', email: 'jade@example.org' })).code, 200);
      const [squatterLink] = await eventually(() => {
        const l = verificationLinks(s, 'jade@example.org');
        return l.length > 0 ? l : undefined;
      });
      const jade = await s.user('jade_mail');
      assert.equal((await jade.client.request('acc', { user: 'me', email: 'jade@example.org' })).code, 200);
      const links = await eventually(() => {
        const l = verificationLinks(s, 'jade@example.org');
        return l.length > 1 ? l : undefined;
      });
      const jadeLink = links.find((l) => l !== squatterLink)!;
      assert.equal((await fetch(`${s.httpUrl}/verify-email?token=${jadeLink}`)).status, 200);
      assert.equal((await loginAs(s, 'jade_mail')).params.emailVerified, true);
      // The other account's link no longer verifies the address she holds.
      const late = await fetch(`${s.httpUrl}/verify-email?token=${squatterLink}`);
      assert.deepEqual([late.status, await late.text()], [400, 'Invalid or expired verification link\n']);
      assert.equal((await loginAs(s, 'sq_mail')).params.emailVerified, false);
      // Typing her verified address again: the same answer as for any address, and no mail to her.
      const before = verificationLinks(s, 'jade@example.org').length;
      const again = await squatter.client.request('acc', { user: 'me', email: 'jade@example.org' });
      assert.deepEqual([again.code, again.params.email, again.params.emailVerified], [200, 'jade@example.org', false]);
      const probe = await squatter.client.request('acc', { user: 'me', email: 'nobody-here@example.org' });
      assert.deepEqual(Object.keys(again.params).sort(), Object.keys(probe.params).sort(), 'no hint that the address has an account');
      await eventually(() => (verificationLinks(s, 'nobody-here@example.org').length > 0 ? true : undefined));
      assert.equal(verificationLinks(s, 'jade@example.org').length, before, 'no mail to the verified owner');
      squatter.client.close();
      jade.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] invite redeem checks verified addresses only`, () =>
    withServer(backend, async (s) => {
      const inviter = await s.user();
      const u = await s.user();
      assert.equal((await u.client.request('acc', { user: 'me', email: 'kim@example.org' })).code, 200);
      const inv = await inviter.client.request('invite', { create: { email: 'lee@example.org' } });
      // An unverified address proves nothing: she is treated as a redeemer without an e-mail, the code is the proof.
      const r = await u.client.request('invite', { redeem: inv.params.code });
      assert.equal(r.code, 200);
      // A verified address still has to match.
      const owner = await signUp(s, 'mia_owner', (await inviter.client.request('invite', { create: { email: 'mia@example.org' } })).params.code);
      assert.equal(owner.code, 201);
      const mia = await s.connect();
      await mia.request('login', { scheme: 'basic', secret: basic('mia_owner', PASSWORD) });
      const other = await inviter.client.request('invite', { create: { email: 'nia@example.org' } });
      assert.deepEqual(codeText(await mia.request('invite', { redeem: other.params.code })), [403, 'invite is for another email address']);
      mia.close();
    }));
}
