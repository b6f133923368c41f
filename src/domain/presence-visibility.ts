import type { Stores } from '../store/stores.js';
import type { MemberSnapshot } from '../store/member-snapshot.js';
import type { SubjectPrivacyRecord } from '../store/presence-store.js';

/**
 * Whether a block stands between two users, in either direction. A block is
 * set on one DM's `members` row but applies to the person: it hides presence
 * and activity between the two everywhere, shared rooms included.
 */
export interface BlockRelation {
  between(a: string, b: string): boolean;
}

/** Who may see her presence (`acc me {privacy:{presence}}`). */
export const PRESENCE_SETTINGS = ['everyone', 'contacts', 'nobody'] as const;
export type PresenceSetting = (typeof PRESENCE_SETTINGS)[number];

/** Her privacy settings (`acc me {privacy}`); new accounts have `DEFAULT_PRIVACY`. */
export interface Privacy {
  presence: PresenceSetting;
  readReceipts: boolean;
}

export const DEFAULT_PRIVACY: Privacy = { presence: 'everyone', readReceipts: true };

/** A subject's settings as the rule needs them: her choices, and whether she added a viewer herself. */
export interface SubjectPrivacy extends Privacy {
  /** `viewer` is in her contact list because she added him herself (`contact add`, or the invite she sent). */
  added(viewer: string): boolean;
}

/** The settings of the subjects a reader loaded. A subject it did not load is hidden (`nobody`). */
export interface PrivacyRelation {
  of(subject: string): SubjectPrivacy;
}

/** Everything the rule reads: blocks, and the subjects' privacy settings. */
export interface Visibility {
  blocks: BlockRelation;
  privacy: PrivacyRelation;
}

/** What an activity frame tells: typing, that she read, that her device received. */
export type Activity = 'typing' | 'read' | 'recv';

/**
 * The one presence-visibility rule: may `viewer` see `subject`'s presence
 * (online, last seen, `pres` frames)? Never while a block stands between the
 * two; otherwise as her setting says: `everyone`, only the people she added
 * herself (`contacts`), or `nobody`. A hidden subject looks exactly like a
 * user who never came online (`online: false`, no `lastSeen`, no `pres`), so
 * nothing tells a block or a setting apart.
 */
export function maySeePresence(viewer: string, subject: string, v: Visibility): boolean {
  if (viewer === subject) return true;
  if (v.blocks.between(viewer, subject)) return false;
  const p = v.privacy.of(subject);
  return p.presence === 'everyone' || (p.presence === 'contacts' && p.added(viewer));
}

/**
 * May `viewer` receive `subject`'s activity? Never across a block. Typing is
 * something she does in a conversation she writes in: it goes to its members
 * whatever her presence setting. A read receipt goes only while she keeps
 * `readReceipts` on. A delivery receipt is sent by her device by itself the
 * moment it is online, so it tells presence: it follows the presence rule.
 */
export function maySeeActivity(viewer: string, subject: string, activity: Activity, v: Visibility): boolean {
  if (viewer === subject) return true;
  if (v.blocks.between(viewer, subject)) return false;
  if (activity === 'typing') return true;
  if (activity === 'read') return v.privacy.of(subject).readReceipts;
  return maySeePresence(viewer, subject, v);
}

const NO_BLOCKS: ReadonlySet<string> = new Set();
const NOBODY: SubjectPrivacy = { presence: 'nobody', readReceipts: false, added: () => false };

/** The block relation of one user, from the set of users with a block between them and `user`. */
export function blocksOfUser(user: string, peers: ReadonlySet<string>): BlockRelation {
  return {
    between: (a, b) => (a === user ? peers.has(b) : b === user ? peers.has(a) : false),
  };
}

/** The block relation a DM snapshot knows: its two participants, when either blocked. */
export function blocksOfSnapshot(s: MemberSnapshot): BlockRelation {
  if (s.type !== 'dm' || s.blockers.size === 0) return blocksOfUser('', NO_BLOCKS);
  return { between: (a, b) => a !== b && isParticipant(s, a) && isParticipant(s, b) };
}

function isParticipant(s: MemberSnapshot, u: string): boolean {
  return s.active.has(u) || s.blockers.has(u);
}

/** A stored setting; anything unknown reads as the most private one. */
function presenceSetting(stored: string): PresenceSetting {
  return (PRESENCE_SETTINGS as readonly string[]).includes(stored) ? (stored as PresenceSetting) : 'nobody';
}

/** The privacy relation of one subject, from her settings and the users she added herself. */
export function privacyOfUser(subject: string, privacy: Privacy, added: ReadonlySet<string>): PrivacyRelation {
  const mine: SubjectPrivacy = { ...privacy, added: (viewer) => added.has(viewer) };
  return { of: (s) => (s === subject ? mine : NOBODY) };
}

/** The privacy relation of many subjects toward one viewer: each subject's settings, and whether she added `viewer`. */
export function privacyToward(viewer: string, subjects: ReadonlyMap<string, SubjectPrivacyRecord>): PrivacyRelation {
  const of = new Map(
    [...subjects].map(([id, r]): [string, SubjectPrivacy] => [
      id,
      { presence: presenceSetting(r.presence), readReceipts: r.readReceipts, added: (v) => v === viewer && r.addedViewer },
    ]),
  );
  return { of: (s) => of.get(s) ?? NOBODY };
}

/** Reads blocks and privacy settings through the stores: a fixed number of queries per call, whatever the number of users. */
export class PresenceVisibility {
  constructor(private readonly stores: Stores) {}

  /** The block relation of `user` with everyone (one query). */
  async blocksOf(user: string): Promise<BlockRelation> {
    return blocksOfUser(user, await this.stores.presence.blockPeers(user));
  }

  /** The privacy relation of `subject` toward everyone (one query; her contact set only when she chose `contacts`). */
  async privacyOf(subject: string): Promise<PrivacyRelation> {
    const p = await this.stores.presence.privacyOf(subject);
    if (!p) return privacyOfUser(subject, NOBODY, NO_BLOCKS);
    return privacyOfUser(subject, { presence: presenceSetting(p.presence), readReceipts: p.readReceipts }, p.added);
  }

  /** What the rule needs to decide who sees `subject` (fan-out from her): her blocks and her settings, two queries. */
  async ofSubject(subject: string): Promise<Visibility> {
    const [blocks, privacy] = await Promise.all([this.blocksOf(subject), this.privacyOf(subject)]);
    return { blocks, privacy };
  }

  /**
   * What the rule needs to decide who sees `subject`'s activity in the
   * conversation of `members`: the block a DM snapshot knows, or her blocks
   * (one query in a room); her settings (one query) unless it is typing,
   * which they do not govern.
   */
  async ofActivity(subject: string, activity: Activity, members: MemberSnapshot): Promise<Visibility> {
    const [blocks, privacy] = await Promise.all([
      members.type === 'dm' ? blocksOfSnapshot(members) : this.blocksOf(subject),
      activity === 'typing' ? { of: () => NOBODY } : this.privacyOf(subject),
    ]);
    return { blocks, privacy };
  }

  /** What the rule needs to decide what `viewer` sees of `subjects` (lists): his blocks and their settings, two queries. */
  async toward(viewer: string, subjects: readonly string[]): Promise<Visibility> {
    const others = [...new Set(subjects.filter((s) => s !== viewer))];
    const [blocks, settings] = await Promise.all([this.blocksOf(viewer), this.stores.presence.privacyToward(viewer, others)]);
    return { blocks, privacy: privacyToward(viewer, settings) };
  }

  /** Of `viewers`, those who may see `subject`'s presence (fan-out of `pres`). */
  async audience(subject: string, viewers: readonly string[]): Promise<string[]> {
    if (viewers.length === 0) return [];
    const v = await this.ofSubject(subject);
    return viewers.filter((u) => maySeePresence(u, subject, v));
  }

  /** Of `subjects`, those whose presence `viewer` may not see (lists: members, search, conversations). */
  async hiddenFrom(viewer: string, subjects: readonly string[]): Promise<Set<string>> {
    const hidden = new Set<string>();
    if (subjects.every((s) => s === viewer)) return hidden;
    const v = await this.toward(viewer, subjects);
    for (const s of subjects) if (!maySeePresence(viewer, s, v)) hidden.add(s);
    return hidden;
  }
}
