import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backends, type TestServer } from '../helpers/server.js';
import { basic } from '../helpers/client.js';
import { SmtpCapture, mailHeader, mailText } from '../helpers/mail-capture.js';

/** The DM row between two users, read from the database. */
async function dmBetween(s: TestServer, a: string, b: string): Promise<string[]> {
  const [user1, user2] = a < b ? [a, b] : [b, a];
  const rows = await s.app.deps.stores.db.kysely
    .selectFrom('dm_participants')
    .select('conversation_id')
    .where('user1_id', '=', user1)
    .where('user2_id', '=', user2)
    .execute();
  return rows.map((r) => r.conversation_id);
}

function codeFrom(raw: string): string {
  const m = /Your invite code: ([A-Za-z0-9_-]{10})/.exec(mailText(raw));
  assert.ok(m, 'the mail shows the code');
  return m[1]!;
}

for (const backend of backends()) {
  test(`[${backend}] invite mail over SMTP, sign-up with its code connects invitee and inviter`, async () => {
    const smtp = await SmtpCapture.start();
    const s = await startServer(backend, { smtpUrl: smtp.url, publicBaseUrl: 'https://chat.example.org' });
    try {
      const dana = await s.user('dana_inv', { fn: 'Dana <b>&' });
      const c = await dana.client.request('invite', { create: { email: '  Eli@Example.ORG ', name: 'Eli' } });
      assert.equal(c.code, 201);
      assert.deepEqual(Object.keys(c.params).sort(), ['code', 'email', 'expiresAt', 'id', 'name']);
      assert.equal(c.params.email, 'eli@example.org');
      assert.equal(c.params.name, 'Eli');
      assert.match(c.params.code, /^[A-Za-z0-9_-]{10}$/);
      const days = (Date.parse(c.params.expiresAt) - Date.now()) / 86_400_000;
      assert.ok(days > 6.99 && days <= 7, `expires in 7 days, got ${days}`);

      const mail = await smtp.waitFor((m) => m.to.includes('eli@example.org'));
      assert.equal(mailHeader(mail.raw, 'Subject'), 'Dana <b>& invited you to chat on mvchat');
      const text = mailText(mail.raw);
      assert.equal(codeFrom(mail.raw), c.params.code);
      assert.ok(text.includes('Hi Eli,'), 'greets the invitee by name');
      assert.ok(text.includes(`https://chat.example.org/?invite=${c.params.code}`), 'links to the configured base URL');
      assert.ok(text.includes('<strong>Dana &#60;b&#62;&#38;</strong>'), 'inviter name is HTML-escaped');
      assert.ok(!text.includes('<strong>Dana <b>'), 'no raw markup from the inviter name');

      // The password equal to a valid code marks a temporary password.
      const code = c.params.code as string;
      const eli = await s.connect();
      const r = await eli.request('acc', {
        user: 'new',
        scheme: 'basic',
        secret: basic('eli_inv', code),
        login: true,
        inviteCode: code,
        desc: { public: { fn: 'Eli' } },
      });
      assert.equal(r.code, 201);
      assert.deepEqual(r.params.inviters, [dana.id]);
      assert.equal(r.params.mustChangePassword, true);
      assert.equal(r.params.emailVerified, true);
      const eliId = r.params.user as string;

      assert.equal((await dmBetween(s, dana.id, eliId)).length, 1);
      const eliUser = await s.app.deps.stores.accounts.getUser(eliId);
      assert.equal(eliUser?.email, 'eli@example.org');

      const dContacts = await dana.client.request('get', { what: 'contacts' });
      assert.equal(dContacts.code, 200);
      assert.equal(dContacts.params.contacts.length, 1);
      const dc = dContacts.params.contacts[0];
      assert.equal(dc.user, eliId);
      assert.equal(dc.source, 'invite');
      assert.equal(dc.online, true);
      assert.deepEqual(dc.public, { fn: 'Eli' });
      const eContacts = await eli.request('get', { what: 'contacts' });
      assert.deepEqual(
        eContacts.params.contacts.map((x: any) => [x.user, x.source]),
        [[dana.id, 'invite']],
      );

      const list = await dana.client.request('invite', { list: true });
      assert.equal(list.params.invites.length, 1);
      const item = list.params.invites[0];
      assert.equal(item.status, 'used');
      assert.equal(item.usedBy, eliId);
      assert.ok(item.usedAt);
      assert.equal(item.code, undefined, 'no code once used');
      assert.equal(item.name, 'Eli');

      // The code cannot be used twice.
      const again = await (await s.connect()).request('invite', { redeem: code });
      assert.equal(again.code, 401);
      const other = await s.user();
      const reuse = await other.client.request('invite', { redeem: code });
      assert.deepEqual([reuse.code, reuse.text], [404, 'invite not found or already used']);
      dana.client.close();
      eli.close();
      other.client.close();
    } finally {
      await s.close();
      await smtp.close();
    }
  });

  test(`[${backend}] sign-up redeems only the invite whose code it carries; others to the address stay pending`, async () => {
    const s = await startServer(backend);
    try {
      const a = await s.user();
      const b = await s.user();
      const ca = await a.client.request('invite', { create: { email: 'fay@example.org' } });
      const cb = await b.client.request('invite', { create: { email: 'Fay <FAY@example.org>' } });
      assert.equal(cb.params.email, 'fay@example.org');
      assert.equal(ca.params.name, null);
      const fay = await s.connect();
      const r = await fay.request('acc', { user: 'new', scheme: 'basic', secret: basic('fay_inv', 'another-pass'), login: false, inviteCode: cb.params.code });
      assert.equal(r.code, 201);
      assert.deepEqual(r.params.inviters, [b.id]);
      assert.equal(r.params.mustChangePassword, undefined, 'password differs from the code');
      assert.equal(r.params.token, undefined);
      assert.equal((await dmBetween(s, b.id, r.params.user)).length, 1);
      assert.equal((await b.client.request('invite', { list: true })).params.invites[0].status, 'used');
      assert.equal((await dmBetween(s, a.id, r.params.user)).length, 0, 'no DM with an inviter whose code she did not use');
      assert.equal((await a.client.request('invite', { list: true })).params.invites[0].status, 'pending');
      a.client.close();
      b.client.close();
      fay.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] sign-up with an unusable code creates a plain account; password equal to it is not temporary`, async () => {
    const s = await startServer(backend);
    try {
      const c = await s.connect();
      const r = await c.request('acc', { user: 'new', scheme: 'basic', secret: basic('gil_inv', 'AAAAAAAAAA'), login: true, inviteCode: 'AAAAAAAAAA' });
      assert.equal(r.code, 201);
      assert.equal(r.params.mustChangePassword, undefined);
      assert.equal(r.params.inviters, undefined);
      const bad = await c.request('acc', { user: 'new', scheme: 'basic', secret: basic('gil_inv2', 'secret-pass'), inviteCode: 'not a code!' });
      assert.equal(bad.code, 201);
      c.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] sign-up with an invite to an address that already has an account is refused cleanly`, async () => {
    const s = await startServer(backend);
    try {
      const a = await s.user();
      const owner = await s.user();
      assert.equal((await owner.client.request('acc', { user: 'me', email: 'ivy@example.org' })).code, 200);
      // The owner proved the address (only a verified address holds it).
      await s.app.deps.stores.db.kysely.updateTable('users').set({ email_verified: true }).where('id', '=', owner.id).execute();
      const inv = await a.client.request('invite', { create: { email: 'ivy@example.org' } });
      const c = await s.connect();
      const r = await c.request('acc', { user: 'new', scheme: 'basic', secret: basic('ivy_two', 'secret-pass'), inviteCode: inv.params.code });
      assert.deepEqual([r.code, r.text], [409, 'email already in use']);
      assert.equal(await s.app.deps.stores.accounts.findBasicAuth('ivy_two'), null);
      // The owner of the address can still take the invite.
      assert.equal((await owner.client.request('invite', { redeem: inv.params.code })).code, 200);
      a.client.close();
      owner.client.close();
      c.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] two sign-ups with one code at once: one account gets the invite, nothing is left half-made`, async () => {
    const s = await startServer(backend);
    try {
      const a = await s.user();
      const inv = await a.client.request('invite', { create: { email: 'hal@example.org' } });
      const c1 = await s.connect();
      const c2 = await s.connect();
      const [r1, r2] = await Promise.all([
        c1.request('acc', { user: 'new', scheme: 'basic', secret: basic('hal_one', 'secret-pass'), inviteCode: inv.params.code }),
        c2.request('acc', { user: 'new', scheme: 'basic', secret: basic('hal_two', 'secret-pass'), inviteCode: inv.params.code }),
      ]);
      const codes = [r1.code, r2.code].sort();
      assert.equal(codes[0], 201);
      const loser = r1.code === 201 ? r2 : r1;
      const winner = r1.code === 201 ? r1 : r2;
      assert.ok(
        (loser.code === 404 && loser.text === 'invite already used or expired') || (loser.code === 409 && loser.text === 'email already in use'),
        `loser: ${JSON.stringify(loser)}`,
      );
      assert.deepEqual(winner.params.inviters, [a.id]);
      const k = s.app.deps.stores.db.kysely;
      const users = await k.selectFrom('users').select('id').where('email', '=', 'hal@example.org').execute();
      assert.deepEqual(
        users.map((u) => u.id),
        [winner.params.user],
      );
      const loserName = r1.code === 201 ? 'hal_two' : 'hal_one';
      assert.equal(await s.app.deps.stores.accounts.findBasicAuth(loserName), null, 'the losing sign-up left no account');
      const contacts = await k.selectFrom('contacts').selectAll().where('user_id', '=', a.id).execute();
      assert.equal(contacts.length, 1);
      a.client.close();
      c1.close();
      c2.close();
    } finally {
      await s.close();
    }
  });
}
