import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blocksOfSnapshot, blocksOfUser, maySeeActivity, maySeePresence } from '../../src/domain/presence-visibility.js';
import { snapshotFromRows } from '../../src/store/member-snapshot.js';

test('presence rule: hidden both ways between two people with a block, visible to everyone else and to oneself', () => {
  const blocks = blocksOfUser('bea', new Set(['al']));
  assert.equal(maySeePresence('al', 'bea', blocks), false, 'the blocked does not see the blocker');
  assert.equal(maySeePresence('bea', 'al', blocks), false, 'nor the blocker the blocked');
  assert.equal(maySeeActivity('al', 'bea', blocks), false);
  assert.equal(maySeePresence('cy', 'bea', blocks), true);
  assert.equal(maySeePresence('bea', 'cy', blocks), true);
  assert.equal(maySeePresence('bea', 'bea', blocks), true);
});

test('presence rule from a DM snapshot: a block by either participant hides each from the other', () => {
  const row = (user_id: string, blocked: boolean) => ({ type: 'dm', member_version: 1, user_id, blocked, active: true });
  const blocked = blocksOfSnapshot(snapshotFromRows('c', [row('al', false), row('bea', true)])!);
  assert.equal(maySeeActivity('al', 'bea', blocked), false);
  assert.equal(maySeeActivity('bea', 'al', blocked), false);
  const open = blocksOfSnapshot(snapshotFromRows('c', [row('al', false), row('bea', false)])!);
  assert.equal(maySeeActivity('al', 'bea', open), true);
  const room = blocksOfSnapshot(
    snapshotFromRows('r', [
      { ...row('al', false), type: 'room' },
      { ...row('bea', true), type: 'room' },
    ])!,
  );
  assert.equal(maySeeActivity('al', 'bea', room), true, 'a room snapshot knows no blocks: callers read them per user');
});
