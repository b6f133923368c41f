import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NewSyncEvent } from '../../src/store/sync-event-store.js';
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
    assert.ok(start < p1! && p1! < p2! && p2! < p3! && p3! < p4!);
    assert.equal(await stores.events.latest(), p4);
    const mine = await stores.events.page(a, start, 10);
    assert.deepEqual(
      mine.map((e) => [e.pos, e.kind, e.seq, e.extra]),
      [
        [p1, 'data', 1, null],
        [p2, 'react', 1, '👍'],
        [p4, 'clear', 1, null],
      ],
    );
    // B sees the room's events, not A's own.
    assert.deepEqual(
      (await stores.events.page(b, start, 10)).map((e) => e.pos),
      [p1, p2],
    );
    assert.deepEqual(
      (await stores.events.page(a, p1!, 1)).map((e) => e.pos),
      [p2],
    );
    // Removed from the room: its events are no longer hers; her own stay.
    await stores.membership.removeMember(conv, a, ['owner', 'admin', 'member']);
    assert.deepEqual(
      (await stores.events.page(a, start, 10)).map((e) => e.pos),
      [p4],
    );
  });

  test('prune removes the oldest events and raises the floor; latest never goes back', async () => {
    const { stores, db } = get();
    const { conv, ids } = await insertRoom(db, 1);
    const old = new Date(Date.now() - 60_000);
    const [p1, p2] = await stores.events.append([event(conv, ids[0]!, { at: old }), event(conv, ids[0]!, { at: old, seq: 2 })]);
    const [p3] = await stores.events.append([event(conv, ids[0]!, { seq: 3 })]);
    assert.equal(await stores.events.floor(), 0);
    assert.equal(await stores.events.prune(new Date(Date.now() - 30_000), 1), 1);
    assert.equal(await stores.events.floor(), p1);
    assert.equal(await stores.events.prune(new Date(Date.now() - 30_000), 100), 1);
    assert.equal(await stores.events.floor(), p2);
    assert.equal(await stores.events.prune(new Date(Date.now() - 30_000), 100), 0);
    assert.deepEqual(
      (await stores.events.page(ids[0]!, 0, 10)).map((e) => e.pos),
      [p3],
    );
    await stores.events.prune(new Date(Date.now() + 1000), 100);
    assert.equal(await stores.events.latest(), p3, 'an emptied log still knows its newest position');
    // Rows deleted from the top (an erased account's events) do not move it back either.
    const [p4] = await stores.events.append([event(conv, ids[0]!, { userId: ids[0]!, kind: 'clear' })]);
    await db.kysely.deleteFrom('sync_events').where('pos', '=', p4!).execute();
    assert.equal(await stores.events.latest(), p4);
  });

  test('a position is visible only once every lower one is: a later writer waits for an earlier uncommitted one', async () => {
    const { stores, db, backend } = get();
    const { conv, ids } = await insertRoom(db, 1);
    const u = ids[0]!;
    const start = await stores.events.latest();
    if (backend === 'sqlite') {
      // One writer: positions are handed out and committed in order by construction.
      const ps = await Promise.all(Array.from({ length: 20 }, (_, i) => stores.events.append([event(conv, u, { seq: i + 1 })])));
      assert.deepEqual(
        (await stores.events.page(u, start, 100)).map((e) => e.pos),
        ps.map(([p]) => p).sort((x, y) => x! - y!),
      );
      return;
    }
    // An event in a transaction that has not committed yet (a slow send batch on another node).
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let firstPos = 0;
    const slow = db.kysely.transaction().execute(async (trx) => {
      [firstPos] = (await stores.events.appendPg(trx, [event(conv, u, { seq: 1 })])) as [number];
      await held;
    });
    while (firstPos === 0) await sleep(5);
    // A second writer that would commit first if it could.
    let secondDone = false;
    const fast = stores.events.append([event(conv, u, { seq: 2 })]).then((p) => ((secondDone = true), p));
    await sleep(300);
    assert.equal(secondDone, false, 'the later writer waits for the earlier one to commit');
    assert.equal(await stores.events.latest(), start);
    assert.deepEqual(await stores.events.page(u, start, 10), [], 'a reader meanwhile sees neither, so it cannot pass the first');
    release();
    await slow;
    const [secondPos] = await fast;
    assert.ok(secondPos! > firstPos);
    assert.deepEqual(
      (await stores.events.page(u, start, 10)).map((e) => e.seq),
      [1, 2],
    );
  });
});
