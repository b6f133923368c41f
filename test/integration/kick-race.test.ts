import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends, withServer } from '../helpers/server.js';

for (const backend of backends()) {
  test(`[${backend}] a kick racing a flood of sends: the removed member receives nothing stored after the removal (DEFECTS 10)`, () =>
    withServer(
      backend,
      async (s) => {
        const owner = await s.user('kr_owner');
        const victim = await s.user('kr_victim');
        const sender = await s.user('kr_sender');
        const conv = (await owner.client.request('room', { id: 'new', action: 'create', desc: { public: { fn: 'race' } } })).params.conv;
        for (const u of [victim, sender]) assert.equal((await owner.client.request('room', { id: conv, action: 'invite', user: u.id })).code, 200);

        // The sender keeps posting while the owner kicks, and goes on for a while after the kick.
        const acks: Record<string, any>[] = [];
        let kicked = false;
        let after = 0;
        const flood = (async () => {
          for (let i = 0; after < 100; i++) {
            const batch = await Promise.all(
              Array.from({ length: 10 }, (_, j) => sender.client.request('send', { conv, content: { v: 1, text: `m${i}.${j}` } })),
            );
            acks.push(...batch);
            if (kicked) after += batch.length;
          }
        })();
        await sender.client.waitFor((f) => f.ctrl?.params?.seq === 50);
        const kick = await owner.client.request('room', { id: conv, action: 'kick', user: victim.id });
        kicked = true;
        assert.equal(kick.code, 200);
        await flood;
        assert.deepEqual([...new Set(acks.map((a) => a.code))], [202]);
        const last = Math.max(...acks.map((a) => a.params.seq as number));
        await owner.client.waitFor((f) => f.data?.seq === last);
        await victim.client.waitFor((f) => f.info?.what === 'member_kicked');

        const row = await s.app.deps.stores.db.kysely
          .selectFrom('members')
          .select('deleted_at')
          .where('conversation_id', '=', conv)
          .where('user_id', '=', victim.id)
          .executeTakeFirstOrThrow();
        const removedAt = new Date(row.deleted_at as string | Date).getTime();
        const got = victim.client.frames.filter((f) => f.data?.conv === conv);
        assert.ok(got.length < acks.length, 'the flood went on after the removal');
        for (const f of got) assert.ok(Date.parse(f.data.ts) <= removedAt, `seq ${f.data.seq} stored after the removal reached the removed member`);
        // And the removed member can do nothing more there.
        assert.equal((await victim.client.request('send', { conv, content: { v: 1, text: 'x' } })).code, 403);
        assert.equal((await victim.client.request('get', { what: 'messages', conv })).code, 403);
        for (const u of [owner, victim, sender]) u.client.close();
      },
      { frameRate: 100_000 },
    ));
}
