import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startServer, backends } from '../helpers/server.js';

for (const backend of backends()) {
  test(`[${backend}] contact add puts him in her list only, nickname one-sided, remove both ways; lists are private`, async () => {
    const s = await startServer(backend);
    try {
      const dana = await s.user(undefined, { fn: 'Dana' });
      const eli = await s.user(undefined, { fn: 'Eli' });
      const fay = await s.user(undefined, { fn: 'Fay' });

      const add = await dana.client.request('contact', { add: eli.id.toUpperCase() });
      assert.equal(add.code, 200);
      assert.deepEqual(add.params, { user: eli.id, public: { fn: 'Eli' } });
      assert.equal((await dana.client.request('contact', { add: eli.id })).code, 200, 'adding again is a no-op');
      assert.equal((await dana.client.request('contact', { add: fay.id })).code, 200);

      const nick = await dana.client.request('contact', { user: eli.id, nickname: 'Eli from work' });
      assert.deepEqual([nick.code, nick.params], [200, { user: eli.id, nickname: 'Eli from work' }]);
      const emptyNick = await dana.client.request('contact', { user: fay.id, nickname: '' });
      assert.equal(emptyNick.code, 200);

      const dList = (await dana.client.request('get', { what: 'contacts' })).params.contacts;
      assert.deepEqual(
        dList.map((c: any) => c.user),
        [fay.id, eli.id],
        'newest first',
      );
      const dEli = dList[1];
      assert.equal(dEli.source, 'manual');
      assert.equal(dEli.nickname, 'Eli from work');
      assert.equal(dEli.online, true);
      assert.deepEqual(dEli.public, { fn: 'Eli' });
      assert.ok(dEli.lastSeen, 'lastSeen set by login');
      assert.ok(dEli.createdAt);
      assert.equal(dList[0].nickname, '');

      // Someone adding you does not put him in your list: Eli's list stays empty until Eli adds Dana.
      assert.deepEqual((await eli.client.request('get', { what: 'contacts' })).params.contacts, []);
      assert.equal((await eli.client.request('contact', { add: dana.id })).code, 200);
      const eList = (await eli.client.request('get', { what: 'contacts' })).params.contacts;
      assert.deepEqual(
        eList.map((c: any) => c.user),
        [dana.id],
      );
      assert.equal(eList[0].nickname, undefined, "the other side's nickname is not shared");
      assert.equal(eList[0].source, 'manual');

      // Eli sets a nickname for Fay, who is not Eli's contact: nothing changes, still 200.
      assert.equal((await eli.client.request('contact', { user: fay.id, nickname: 'x' })).code, 200);
      assert.deepEqual((await fay.client.request('get', { what: 'contacts' })).params.contacts, [], 'Dana adding Fay does not put Dana in her list');

      // Offline contacts show online:false.
      fay.client.close();
      await eventuallyOffline(dana.client, fay.id);

      const rm = await eli.client.request('contact', { remove: dana.id });
      assert.deepEqual([rm.code, rm.params], [200, { user: dana.id }]);
      assert.deepEqual((await eli.client.request('get', { what: 'contacts' })).params.contacts, []);
      const after = (await dana.client.request('get', { what: 'contacts' })).params.contacts;
      assert.deepEqual(
        after.map((c: any) => c.user),
        [fay.id],
        'removed both ways',
      );
      assert.equal((await eli.client.request('contact', { remove: dana.id })).code, 200, 'removing an absent contact is fine');
      dana.client.close();
      eli.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] bad contact requests get clear errors`, async () => {
    const s = await startServer(backend);
    try {
      const dana = await s.user();
      const eli = await s.user();
      const cases: [unknown, number, string][] = [
        [{ add: dana.id }, 400, 'cannot add yourself as contact'],
        [{ add: randomUUID() }, 404, 'user not found'],
        [{ add: 'not-a-uuid' }, 400, 'invalid user id'],
        [{ remove: 'zz' }, 400, 'invalid user id'],
        [{ user: 'zz', nickname: 'a' }, 400, 'invalid user id'],
        [{ user: eli.id, nickname: 'n'.repeat(65) }, 400, 'nickname too long'],
        [{ user: eli.id, nickname: 'n'.repeat(2000) }, 400, 'malformed message'],
        [{ user: eli.id, nickname: null }, 400, 'invalid contact request'],
        [{ user: eli.id }, 400, 'invalid contact request'],
        [{}, 400, 'invalid contact request'],
        [{ add: 7 }, 400, 'malformed message'],
      ];
      for (const [body, code, text] of cases) {
        const r = await dana.client.request('contact', body);
        assert.deepEqual([r.code, r.text], [code, text], JSON.stringify(body).slice(0, 80));
      }
      assert.equal((await dana.client.request('contact', { add: eli.id })).code, 200);
      const okNick = await dana.client.request('contact', { user: eli.id, nickname: '😀'.repeat(64) });
      assert.equal(okNick.code, 200, '64 characters fit even when they are 4 bytes each');
      const list = (await dana.client.request('get', { what: 'contacts' })).params.contacts;
      assert.equal(list[0].nickname, '😀'.repeat(64));
      // Deleted users keep their row but lose their details.
      await s.app.deps.stores.db.kysely.updateTable('users').set({ state: 'deleted' }).where('id', '=', eli.id).execute();
      const gone = (await dana.client.request('get', { what: 'contacts' })).params.contacts;
      assert.deepEqual(Object.keys(gone[0]).sort(), ['createdAt', 'nickname', 'source', 'user']);
      const addDeleted = await dana.client.request('contact', { add: eli.id });
      assert.deepEqual([addDeleted.code, addDeleted.text], [404, 'user not found']);
      const anon = await s.connect();
      const unauth = await anon.request('contact', { add: eli.id });
      assert.equal(unauth.code, 401);
      dana.client.close();
      eli.client.close();
      anon.close();
    } finally {
      await s.close();
    }
  });
}

/** Re-reads the contact list until `userId` shows offline (the close is processed asynchronously). */
async function eventuallyOffline(client: { request(op: string, body: unknown): Promise<any> }, userId: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const list = (await client.request('get', { what: 'contacts' })).params.contacts;
    const c = list.find((x: any) => x.user === userId);
    if (c && c.online === false) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail('contact never showed offline');
}
