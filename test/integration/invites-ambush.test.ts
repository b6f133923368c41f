import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends, withServer, PASSWORD, type TestServer } from '../helpers/server.js';
import { basic, type Frame } from '../helpers/client.js';

/** DM rows between two users, read from the database. */
async function dmRows(s: TestServer, a: string, b: string): Promise<number> {
  const [user1, user2] = a < b ? [a, b] : [b, a];
  const rows = await s.app.deps.stores.db.kysely
    .selectFrom('dm_participants')
    .select('conversation_id')
    .where('user1_id', '=', user1)
    .where('user2_id', '=', user2)
    .execute();
  return rows.length;
}

async function signUp(s: TestServer, name: string, inviteCode?: string): Promise<Frame> {
  const c = await s.connect();
  const r = await c.request('acc', { user: 'new', scheme: 'basic', secret: basic(name, PASSWORD), login: false, ...(inviteCode ? { inviteCode } : {}) });
  c.close();
  return r;
}

for (const backend of backends()) {
  test(`[${backend}] invite ambush: sign-up connects only the inviter whose code she used`, () =>
    withServer(backend, async (s) => {
      const stalker = await s.user();
      const friend = await s.user();
      const ambush = await stalker.client.request('invite', { create: { email: 'fay@example.org' } });
      const wanted = await friend.client.request('invite', { create: { email: 'fay@example.org' } });
      const r = await signUp(s, 'fay_only', wanted.params.code);
      assert.equal(r.code, 201);
      assert.deepEqual(r.params.inviters, [friend.id]);
      assert.equal(await dmRows(s, friend.id, r.params.user), 1);
      assert.equal(await dmRows(s, stalker.id, r.params.user), 0, 'no DM with the other inviter');
      const contacts = await stalker.client.request('get', { what: 'contacts' });
      assert.deepEqual(contacts.params.contacts, [], 'no contact with the other inviter');
      const list = await stalker.client.request('invite', { list: true });
      assert.equal(list.params.invites[0].status, 'pending', 'the other invite stays pending');
      // She may still take the other invite herself, later.
      const fay = await s.connect();
      await fay.request('login', { scheme: 'basic', secret: basic('fay_only', PASSWORD) });
      assert.equal((await fay.request('invite', { redeem: ambush.params.code })).code, 200);
      assert.equal(await dmRows(s, stalker.id, r.params.user), 1);
      fay.close();
    }));
}
