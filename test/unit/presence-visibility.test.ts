import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  blocksOfSnapshot,
  blocksOfUser,
  DEFAULT_PRIVACY,
  maySeeActivity,
  maySeePresence,
  privacyOfUser,
  privacyToward,
  type BlockRelation,
  type Privacy,
  type Visibility,
} from '../../src/domain/presence-visibility.js';
import { snapshotFromRows } from '../../src/store/member-snapshot.js';

const NO_BLOCKS = blocksOfUser('', new Set());
/** Bea's settings, everyone else's default. */
function withPrivacy(blocks: BlockRelation, bea: Privacy = DEFAULT_PRIVACY, added: string[] = []): Visibility {
  const hers = privacyOfUser('bea', bea, new Set(added));
  return { blocks, privacy: { of: (s) => (s === 'bea' ? hers.of(s) : { ...DEFAULT_PRIVACY, added: () => false }) } };
}

test('presence rule: hidden both ways between two people with a block, visible to everyone else and to oneself', () => {
  const v = withPrivacy(blocksOfUser('bea', new Set(['al'])));
  assert.equal(maySeePresence('al', 'bea', v), false, 'the blocked does not see the blocker');
  assert.equal(maySeePresence('bea', 'al', v), false, 'nor the blocker the blocked');
  for (const a of ['typing', 'read', 'recv'] as const) assert.equal(maySeeActivity('al', 'bea', a, v), false);
  assert.equal(maySeePresence('cy', 'bea', v), true);
  assert.equal(maySeePresence('bea', 'cy', v), true);
  assert.equal(maySeePresence('bea', 'bea', v), true);
});

test('presence rule from a DM snapshot: a block by either participant hides each from the other', () => {
  const row = (user_id: string, blocked: boolean) => ({ type: 'dm', member_version: 1, user_id, blocked, active: true });
  const blocked = withPrivacy(blocksOfSnapshot(snapshotFromRows('c', [row('al', false), row('bea', true)])!));
  assert.equal(maySeeActivity('al', 'bea', 'typing', blocked), false);
  assert.equal(maySeeActivity('bea', 'al', 'typing', blocked), false);
  const open = withPrivacy(blocksOfSnapshot(snapshotFromRows('c', [row('al', false), row('bea', false)])!));
  assert.equal(maySeeActivity('al', 'bea', 'typing', open), true);
  const room = withPrivacy(
    blocksOfSnapshot(
      snapshotFromRows('r', [
        { ...row('al', false), type: 'room' },
        { ...row('bea', true), type: 'room' },
      ])!,
    ),
  );
  assert.equal(maySeeActivity('al', 'bea', 'typing', room), true, 'a room snapshot knows no blocks: callers read them per user');
});

test('presence setting: everyone, only those she added herself, or nobody; she always sees herself', () => {
  const contacts = withPrivacy(NO_BLOCKS, { presence: 'contacts', readReceipts: true }, ['cy']);
  assert.equal(maySeePresence('cy', 'bea', contacts), true, 'a contact she added');
  assert.equal(maySeePresence('al', 'bea', contacts), false, 'anyone else');
  assert.equal(maySeePresence('bea', 'bea', contacts), true);
  assert.equal(maySeePresence('bea', 'al', contacts), true, 'her setting says nothing of what she sees');
  const nobody = withPrivacy(NO_BLOCKS, { presence: 'nobody', readReceipts: true }, ['cy']);
  assert.equal(maySeePresence('cy', 'bea', nobody), false);
  assert.equal(maySeePresence('bea', 'bea', nobody), true);
  const blockedContact = withPrivacy(blocksOfUser('bea', new Set(['cy'])), { presence: 'contacts', readReceipts: true }, ['cy']);
  assert.equal(maySeePresence('cy', 'bea', blockedContact), false, 'a block applies on top of the setting');
});

test('activity: typing goes whatever the setting, reads follow readReceipts, deliveries follow presence', () => {
  const nobody = withPrivacy(NO_BLOCKS, { presence: 'nobody', readReceipts: true });
  assert.equal(maySeeActivity('al', 'bea', 'typing', nobody), true);
  assert.equal(maySeeActivity('al', 'bea', 'read', nobody), true);
  assert.equal(maySeeActivity('al', 'bea', 'recv', nobody), false, 'her device acknowledging by itself tells she is online');
  const noReads = withPrivacy(NO_BLOCKS, { presence: 'everyone', readReceipts: false });
  assert.equal(maySeeActivity('al', 'bea', 'read', noReads), false);
  assert.equal(maySeeActivity('al', 'bea', 'recv', noReads), true, 'delivery receipts stay');
  assert.equal(maySeeActivity('bea', 'bea', 'read', noReads), true);
});

test('privacy toward a viewer: per subject, only her own add of that viewer counts; unknown subjects are hidden', () => {
  const settings = new Map([
    ['bea', { presence: 'contacts', readReceipts: true, addedViewer: true }],
    ['dee', { presence: 'contacts', readReceipts: true, addedViewer: false }],
    ['eve', { presence: 'everyone', readReceipts: false, addedViewer: false }],
    ['odd', { presence: 'something-new', readReceipts: true, addedViewer: true }],
  ]);
  const v: Visibility = { blocks: NO_BLOCKS, privacy: privacyToward('al', settings) };
  assert.equal(maySeePresence('al', 'bea', v), true);
  assert.equal(maySeePresence('al', 'dee', v), false);
  assert.equal(maySeePresence('al', 'eve', v), true);
  assert.equal(maySeeActivity('al', 'eve', 'read', v), false);
  assert.equal(maySeePresence('al', 'odd', v), false, 'an unknown stored setting reads as nobody');
  assert.equal(maySeePresence('al', 'ghost', v), false, 'a subject the reader did not load');
  assert.equal(maySeePresence('cy', 'bea', v), false, 'the relation answers for its own viewer only');
});
