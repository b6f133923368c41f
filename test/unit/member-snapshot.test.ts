import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recipientsOf, sendRefusal, snapshotFromRows, SnapshotCache, type SnapshotRow } from '../../src/store/member-snapshot.js';

const row = (type: string, version: number, user: string | null, blocked = false, active = true): SnapshotRow => ({
  type,
  member_version: version,
  user_id: user,
  blocked,
  active,
});

test('a DM where one side blocked: the blocked side may not send, the blocker does not receive', () => {
  const s = snapshotFromRows('c', [row('dm', 3, 'a', true), row('dm', 3, 'b')])!;
  assert.equal(s.version, 3);
  assert.equal(sendRefusal(s, 'b'), 'blocked');
  assert.equal(sendRefusal(s, 'a'), null);
  assert.deepEqual([...recipientsOf(s, 'b')], ['b']);
  assert.deepEqual([...recipientsOf(s, 'a')].sort(), ['a', 'b']);
  assert.equal(sendRefusal(s, 'stranger'), 'notMember');
});

test('a room: removed members neither send nor receive; blocking does not apply', () => {
  const s = snapshotFromRows('r', [row('room', 1, 'a', true), row('room', 1, 'b'), row('room', 1, 'gone', false, false)])!;
  assert.equal(sendRefusal(s, 'b'), null);
  assert.equal(sendRefusal(s, 'gone'), 'notMember');
  assert.deepEqual([...recipientsOf(s, 'b')].sort(), ['a', 'b']);
  assert.equal(snapshotFromRows('x', []), null, 'no conversation, no snapshot');
  assert.deepEqual([...snapshotFromRows('e', [row('room', 0, null)])!.active], [], 'a conversation without members');
});

test('the cache keeps the newest version and drops the oldest entries past its bound', () => {
  const cache = new SnapshotCache(10);
  const room = (id: string, version: number, members: number) =>
    snapshotFromRows(
      id,
      Array.from({ length: members }, (_, i) => row('room', version, `u${i}`)),
    )!;
  cache.put(room('one', 2, 4));
  cache.put(room('one', 1, 4));
  assert.equal(cache.get('one')?.version, 2, 'an older version does not replace a newer one');
  cache.put(room('two', 1, 4));
  assert.ok(cache.get('one') && cache.get('two'));
  cache.put(room('three', 1, 4));
  assert.equal(cache.get('one'), undefined, 'the oldest went to make room');
  assert.ok(cache.get('two') && cache.get('three'));
  cache.put(room('huge', 1, 50));
  assert.equal(cache.get('huge')?.version, 1, 'one entry larger than the bound is still kept');
  assert.equal(cache.get('three'), undefined);
});
