import type { Stores } from '../store/stores.js';
import type { MemberSnapshot } from '../store/member-snapshot.js';

/**
 * Whether a block stands between two users, in either direction. A block is
 * set on one DM's `members` row but applies to the person: it hides presence
 * and activity between the two everywhere, shared rooms included.
 */
export interface BlockRelation {
  between(a: string, b: string): boolean;
}

/**
 * The one presence-visibility rule: may `viewer` see `subject`'s presence
 * (online, last seen, `pres` frames)? Never while a block stands between the
 * two. A hidden subject looks exactly like a user who never came online
 * (`online: false`, no `lastSeen`, no `pres`), so nothing tells a block apart.
 * Per-user privacy settings extend this function, not its callers.
 */
export function maySeePresence(viewer: string, subject: string, blocks: BlockRelation): boolean {
  if (viewer === subject) return true;
  return !blocks.between(viewer, subject);
}

/** May `viewer` receive `subject`'s typing and read/delivery receipts? Same rule as presence. */
export function maySeeActivity(viewer: string, subject: string, blocks: BlockRelation): boolean {
  return maySeePresence(viewer, subject, blocks);
}

const NO_BLOCKS: ReadonlySet<string> = new Set();

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

/** Reads block state through the stores, one query per call whatever the number of users. */
export class PresenceVisibility {
  constructor(private readonly stores: Stores) {}

  /** The block relation of `user` with everyone. */
  async blocksOf(user: string): Promise<BlockRelation> {
    return blocksOfUser(user, await this.stores.presence.blockPeers(user));
  }

  /** Of `viewers`, those who may see `subject`'s presence (fan-out of `pres`). */
  async audience(subject: string, viewers: readonly string[]): Promise<string[]> {
    if (viewers.length === 0) return [];
    const blocks = await this.blocksOf(subject);
    return viewers.filter((v) => maySeePresence(v, subject, blocks));
  }

  /** Of `subjects`, those whose presence `viewer` may not see (lists: members, search, conversations). */
  async hiddenFrom(viewer: string, subjects: readonly string[]): Promise<Set<string>> {
    const hidden = new Set<string>();
    if (subjects.every((s) => s === viewer)) return hidden;
    const blocks = await this.blocksOf(viewer);
    for (const s of subjects) if (!maySeePresence(viewer, s, blocks)) hidden.add(s);
    return hidden;
  }
}
