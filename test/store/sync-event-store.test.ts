import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { comparePositions, type NewSyncEvent, type SyncPosition } from '../../src/store/sync-event-store.js';
import { insertRoom, storeSuite } from '../helpers/store.js';

const event = (conv: string, from: string, extra: Partial<NewSyncEvent> = {}): NewSyncEvent => ({
  conversationId: conv,
  userId: null,
  kind: 'data',
  from,
  seq: 1,
  at: new Date(),
  ...extra,
});

const increasing = (ps: SyncPosition[]) => ps.every((p, i) => i === 0 || comparePositions(ps[i - 1]!, p) < 0);
const key = (p: SyncPosition) => `${p.stamp}.${p.pos}`;

storeSuite('sync event store', (get) => {
  test('positions grow; a page holds her conversations and her own events, oldest first; latest follows', async () => {
    const { stores, db } = get();
    const { conv, ids } = await insertRoom(db, 2);
    const [a, b] = ids as [string, string];
    const other = await insertRoom(db, 1);
    const start = await stores.events.latest();
    const [p1, p2] = await stores.events.append([event(conv, a, { seq: 1 }), event(conv, b, { kind: 'react', seq: 1, extra: '👍' })]);
    const [p3] = await stores.events.append([event(other.conv, other.ids[0]!, { seq: 1 })]);
    const [p4] = await stores.events.append([event(conv, a, { userId: a, kind: 'clear', seq: 1 })]);
    assert.ok(increasing([start, p1!, p2!, p3!, p4!]));
    assert.ok(comparePositions(await stores.events.latest(), p4!) >= 0);
    const mine = await stores.events.page(a, start, 10);
    assert.deepEqual(
      mine.map((e) => [key(e), e.kind, e.seq, e.extra]),
      [
        [key(p1!), 'data', 1, null],
        [key(p2!), 'react', 1, '👍'],
        [key(p4!), 'clear', 1, null],
      ],
    );
    // B sees the room's events, not A's own.
    assert.deepEqual((await stores.events.page(b, start, 10)).map(key), [key(p1!), key(p2!)]);
    assert.deepEqual((await stores.events.page(a, p1!, 1)).map(key), [key(p2!)]);
    // Removed from the room: its events are no longer hers; her own stay.
    await stores.membership.removeMember(conv, a, ['owner', 'admin', 'member']);
    assert.deepEqual((await stores.events.page(a, start, 10)).map(key), [key(p4!)]);
  });

  test('prune removes the oldest events and raises the floor; latest never goes back', async () => {
    const { stores, db } = get();
    const { conv, ids } = await insertRoom(db, 1);
    const u = ids[0]!;
    const start = await stores.events.latest();
    const old = new Date(Date.now() - 60_000);
    const [p1, p2] = await stores.events.append([event(conv, u, { at: old }), event(conv, u, { at: old, seq: 2 })]);
    const [p3] = await stores.events.append([event(conv, u, { seq: 3 })]);
    assert.equal(key(await stores.events.floor()), '0.0');
    assert.equal(await stores.events.prune(new Date(Date.now() - 30_000), 1), 1);
    assert.equal(key(await stores.events.floor()), key(p1!));
    assert.equal(await stores.events.prune(new Date(Date.now() - 30_000), 100), 1);
    assert.equal(key(await stores.events.floor()), key(p2!));
    assert.equal(await stores.events.prune(new Date(Date.now() - 30_000), 100), 0);
    assert.deepEqual((await stores.events.page(u, start, 10)).map(key), [key(p3!)]);
    await stores.events.prune(new Date(Date.now() + 1000), 100);
    assert.ok(comparePositions(await stores.events.latest(), p3!) >= 0, 'an emptied log still knows its newest position');
    // Rows deleted from the top (an erased account's events) do not move it back either.
    const [p4] = await stores.events.append([event(conv, u, { userId: u, kind: 'clear' })]);
    await db.kysely.deleteFrom('sync_events').where('pos', '=', p4!.pos).execute();
    assert.ok(comparePositions(await stores.events.latest(), p4!) >= 0);
    assert.equal(await stores.events.beyond(p4!), false);
    assert.equal(await stores.events.beyond({ stamp: 9_000_000_000_000, pos: 1 }), true);
  });

  test('a reader never passes an event that commits later: a later writer that commits first stays unread until then', async () => {
    const { stores, db, backend } = get();
    const { conv, ids } = await insertRoom(db, 1);
    const u = ids[0]!;
    const start = await stores.events.latest();
    if (backend === 'sqlite') {
      // One writer: positions are handed out and committed in order by construction.
      const ps = await Promise.all(Array.from({ length: 20 }, (_, i) => stores.events.append([event(conv, u, { seq: i + 1 })])));
      assert.deepEqual(
        (await stores.events.page(u, start, 100)).map(key),
        ps.map(([p]) => key(p!)).sort((x, y) => Number(x.split('.')[1]) - Number(y.split('.')[1])),
      );
      return;
    }
    // An event in a transaction that has not committed yet (a slow send batch on another node).
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let first: SyncPosition | undefined;
    const slow = db.kysely.transaction().execute(async (trx) => {
      [first] = await stores.events.appendPg(trx, [event(conv, u, { seq: 1 })]);
      await held;
    });
    while (!first) await sleep(5);
    // A second writer commits first: it does not wait, and nobody reads it while the first is open.
    const [second] = await stores.events.append([event(conv, u, { userId: u, kind: 'clear', seq: 2 })]);
    assert.deepEqual(await stores.events.page(u, start, 10), [], 'a reader meanwhile sees neither, so it cannot pass the first');
    const now = await stores.events.latest();
    assert.ok(comparePositions(now, first) < 0 && comparePositions(now, second!) < 0, 'the cursor of now stays below both');
    release();
    await slow;
    assert.deepEqual(
      (await stores.events.page(u, now, 10)).map((e) => e.seq),
      [1, 2],
    );
  });

  test('a conversation’s events written under its row lock sort after the ones before them, whatever the transaction ids', async () => {
    const { stores, db, backend } = get();
    if (backend === 'sqlite') return;
    const { conv, ids } = await insertRoom(db, 1);
    const other = await insertRoom(db, 1);
    const u = ids[0]!;
    const start = await stores.events.latest();
    // T2 gets its transaction id first (it writes elsewhere), then waits for the conversation row T1 holds.
    let t2Started!: () => void;
    const t2Ready = new Promise<void>((r) => (t2Started = r));
    let releaseT1!: () => void;
    const t1Held = new Promise<void>((r) => (releaseT1 = r));
    let t1Locked!: () => void;
    const t1Ready = new Promise<void>((r) => (t1Locked = r));
    const t1 = db.kysely.transaction().execute(async (trx) => {
      await t2Ready;
      await trx.updateTable('conversations').set({ last_seq: 1 }).where('id', '=', conv).execute();
      t1Locked();
      await t1Held;
      return stores.events.appendPg(trx, [event(conv, u, { seq: 1 })]);
    });
    const t2 = db.kysely.transaction().execute(async (trx) => {
      await trx.updateTable('conversations').set({ last_seq: 1 }).where('id', '=', other.conv).execute();
      t2Started();
      await t1Ready;
      const locked = trx.updateTable('conversations').set({ last_seq: 2 }).where('id', '=', conv).execute();
      await sleep(100);
      releaseT1();
      await locked;
      return stores.events.appendPg(trx, [event(conv, u, { seq: 2 })]);
    });
    const [[p1], [p2]] = await Promise.all([t1, t2]);
    assert.ok(comparePositions(p1!, p2!) < 0, `seq 1 at ${key(p1!)} sorts before seq 2 at ${key(p2!)}`);
    assert.deepEqual(
      (await stores.events.page(u, start, 10)).map((e) => e.seq),
      [1, 2],
    );
  });
});
