import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startServer, backends, type TestServer } from '../helpers/server.js';
import { createInviteToken, sealInviteToken } from '../../src/crypto/invite-codes.js';

const DAY_MS = 86_400_000;

/** Inserts an invite issued `ageDays` ago, token and row alike, as the reference would have written it. */
async function insertAgedInvite(s: TestServer, inviterId: string, username: string, email: string, ageDays: number): Promise<{ id: string; code: string }> {
  const issued = new Date(Date.now() - ageDays * DAY_MS);
  const { token, code } = createInviteToken(s.config.tokenKey, username, email, issued);
  const id = randomUUID();
  await s.app.deps.stores.db.kysely
    .insertInto('invite_codes')
    .values({
      id,
      inviter_id: inviterId,
      code,
      token: sealInviteToken(s.config.tokenKey, token),
      email,
      invitee_name: null,
      status: 'pending',
      created_at: issued,
      expires_at: new Date(issued.getTime() + 7 * DAY_MS),
    })
    .execute();
  return { id, code };
}

for (const backend of backends()) {
  test(`[${backend}] redeem by a logged-in user connects both; the reply names the inviter`, async () => {
    const s = await startServer(backend);
    try {
      const dana = await s.user(undefined, { fn: 'Dana' });
      const eli = await s.user();
      const inv = await dana.client.request('invite', { create: { email: 'eli@example.org' } });
      const r = await eli.client.request('invite', { redeem: inv.params.code });
      assert.equal(r.code, 200);
      assert.equal(r.params.inviter, dana.id);
      assert.deepEqual(r.params.inviterPublic, { fn: 'Dana' });
      assert.match(r.params.conv, /^[0-9a-f-]{36}$/);
      const convs = await eli.client.request('get', { what: 'conversations' });
      if (convs.code === 200) {
        assert.ok(convs.params.conversations.some((c: any) => c.id === r.params.conv && c.type === 'dm'));
      }
      const contacts = await eli.client.request('get', { what: 'contacts' });
      assert.deepEqual(
        contacts.params.contacts.map((c: any) => [c.user, c.source]),
        [[dana.id, 'invite']],
      );
      const member = await s.app.deps.stores.membership.getActiveMembership(r.params.conv, dana.id);
      assert.ok(member, 'the inviter is a member of the DM');
      dana.client.close();
      eli.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] the same code redeemed twice at once: one wins, one gets 404; DM and contacts exist once`, async () => {
    const s = await startServer(backend);
    try {
      const dana = await s.user();
      const eli = await s.user();
      // A second session of the same user: ops of one session run in order, two sessions run at once.
      const eli2 = await s.connect();
      assert.equal((await eli2.request('login', { scheme: 'token', secret: eli.token })).code, 200);
      for (let round = 0; round < 3; round++) {
        const inv = await dana.client.request('invite', { create: { email: `eli${round}@example.org` } });
        const [a, b] = await Promise.all([eli.client.request('invite', { redeem: inv.params.code }), eli2.request('invite', { redeem: inv.params.code })]);
        const codes = [a.code, b.code].sort();
        assert.deepEqual(codes, [200, 404]);
        const lost = a.code === 404 ? a : b;
        assert.ok(['invite already used or expired', 'invite not found or already used'].includes(lost.text), lost.text);
      }
      // Two different users racing for one code.
      const fay = await s.user();
      const inv = await dana.client.request('invite', { create: { email: 'race@example.org' } });
      const [x, y] = await Promise.all([eli.client.request('invite', { redeem: inv.params.code }), fay.client.request('invite', { redeem: inv.params.code })]);
      assert.deepEqual([x.code, y.code].sort(), [200, 404]);
      const k = s.app.deps.stores.db.kysely;
      const dms = await k.selectFrom('dm_participants').selectAll().execute();
      const pairs = dms.map((d) => [d.user1_id, d.user2_id].sort().join());
      assert.equal(new Set(pairs).size, pairs.length, 'one DM per pair');
      const danaContacts = await k.selectFrom('contacts').select('contact_id').where('user_id', '=', dana.id).execute();
      assert.equal(danaContacts.length, y.code === 200 ? 2 : 1, 'eli once, fay only when fay won');
      dana.client.close();
      eli.client.close();
      eli2.close();
      fay.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] bad redemptions: own, unknown, malformed, other address, revoked`, async () => {
    const s = await startServer(backend);
    try {
      const dana = await s.user();
      const eli = await s.user();
      const inv = await dana.client.request('invite', { create: { email: 'eli@example.org' } });

      const own = await dana.client.request('invite', { redeem: inv.params.code });
      assert.deepEqual([own.code, own.text], [400, 'cannot redeem your own invite']);
      const stillPending = await dana.client.request('invite', { list: true });
      assert.equal(stillPending.params.invites[0].status, 'pending', 'the own attempt consumed nothing');

      const unknown = await eli.client.request('invite', { redeem: 'AAAAAAAAAA' });
      assert.deepEqual([unknown.code, unknown.text], [404, 'invite not found or already used']);
      for (const code of ['short', 'AAAAAAAAA!', 'AAAAAAAAAAA']) {
        const bad = await eli.client.request('invite', { redeem: code });
        assert.deepEqual([bad.code, bad.text], [404, 'invalid invite code'], code);
      }
      const tooLong = await eli.client.request('invite', { redeem: 'A'.repeat(65) });
      assert.deepEqual([tooLong.code, tooLong.text], [400, 'malformed message']);

      // A redeemer with a verified account address of their own can only take invites to that address.
      const k = s.app.deps.stores.db.kysely;
      await eli.client.request('acc', { user: 'me', email: 'eli.other@example.org' });
      await k.updateTable('users').set({ email_verified: true }).where('id', '=', eli.id).execute();
      const mismatch = await eli.client.request('invite', { redeem: inv.params.code });
      assert.deepEqual([mismatch.code, mismatch.text], [403, 'invite is for another email address']);
      await eli.client.request('acc', { user: 'me', email: 'ELI@example.org' });
      await k.updateTable('users').set({ email_verified: true }).where('id', '=', eli.id).execute();
      const match = await eli.client.request('invite', { redeem: inv.params.code });
      assert.equal(match.code, 200);

      const inv2 = await dana.client.request('invite', { create: { email: 'gil@example.org' } });
      const notMine = await eli.client.request('invite', { revoke: inv2.params.id });
      assert.deepEqual([notMine.code, notMine.text], [404, 'invite not found or already used']);
      const badId = await dana.client.request('invite', { revoke: 'nope' });
      assert.deepEqual([badId.code, badId.text], [400, 'invalid invite id']);
      const rev = await dana.client.request('invite', { revoke: inv2.params.id.toUpperCase() });
      assert.deepEqual([rev.code, rev.params], [200, { id: inv2.params.id }]);
      const revAgain = await dana.client.request('invite', { revoke: inv2.params.id });
      assert.equal(revAgain.code, 404);
      const usedRevoke = await dana.client.request('invite', { revoke: inv.params.id });
      assert.equal(usedRevoke.code, 404, 'a used invite cannot be revoked');
      const gil = await s.user();
      const revoked = await gil.client.request('invite', { redeem: inv2.params.code });
      assert.deepEqual([revoked.code, revoked.text], [404, 'invite not found or already used']);

      const list = await dana.client.request('invite', { list: true });
      assert.deepEqual(
        list.params.invites.map((i: any) => i.status),
        ['revoked', 'used'],
        'newest first',
      );
      assert.equal(list.params.invites[0].code, undefined);

      for (const body of [{}, { list: false }, { revoke: '' }, { redeem: '' }]) {
        const r = await dana.client.request('invite', body);
        assert.deepEqual([r.code, r.text], [400, 'invalid invite request'], JSON.stringify(body));
      }
      dana.client.close();
      eli.client.close();
      gil.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] an 8-day-old invite is refused as expired and listed as expired`, async () => {
    const s = await startServer(backend);
    try {
      const dana = await s.user();
      const eli = await s.user();
      const old = await insertAgedInvite(s, dana.id, dana.name, 'old@example.org', 8);
      const r = await eli.client.request('invite', { redeem: old.code });
      assert.deepEqual([r.code, r.text], [404, 'invite code expired']);
      const again = await eli.client.request('invite', { redeem: old.code });
      assert.deepEqual([again.code, again.text], [404, 'invite code expired']);
      const old2 = await insertAgedInvite(s, dana.id, dana.name, 'old2@example.org', 8);
      const fresh = await insertAgedInvite(s, dana.id, dana.name, 'fresh@example.org', 1);
      const list = await dana.client.request('invite', { list: true });
      const byId = new Map(list.params.invites.map((i: any) => [i.id, i]));
      assert.equal((byId.get(old.id) as any).status, 'expired');
      assert.equal((byId.get(old2.id) as any).status, 'expired', 'marked when listed');
      assert.equal((byId.get(old2.id) as any).code, undefined);
      assert.equal((byId.get(fresh.id) as any).status, 'pending');
      const rev = await dana.client.request('invite', { revoke: old2.id });
      assert.equal(rev.code, 404, 'an expired invite cannot be revoked');
      // A code from before (reference-style row) still works when fresh.
      const ok = await eli.client.request('invite', { redeem: fresh.code });
      assert.equal(ok.code, 200);
      // Sign-up with an expired code is a plain sign-up.
      const c = await s.connect();
      const su = await c.request('acc', {
        user: 'new',
        scheme: 'basic',
        secret: Buffer.from(`late_${randomUUID().slice(0, 6)}:${old.code}`).toString('base64'),
        inviteCode: old.code,
      });
      assert.equal(su.code, 201);
      assert.equal(su.params.inviters, undefined);
      assert.equal(su.params.mustChangePassword, undefined);
      dana.client.close();
      eli.client.close();
      c.close();
    } finally {
      await s.close();
    }
  });
}
