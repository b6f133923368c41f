/**
 * Who is in a conversation as of one `member_version`: enough to decide
 * whether someone may send and who receives, without a query per message.
 */
export interface MemberSnapshot {
  conversationId: string;
  version: number;
  type: 'dm' | 'room';
  /** Users with an active membership (deleted_at NULL). */
  active: ReadonlySet<string>;
  /** DM participants who blocked the conversation (active or not); always empty for rooms. */
  blockers: ReadonlySet<string>;
  /** DM participants whose account is deleted (active or not); always empty for rooms. */
  gone: ReadonlySet<string>;
  /** Rooms only: every active member, computed once for fan-out. */
  roomRecipients: readonly string[] | null;
}

export interface SnapshotRow {
  type: string;
  member_version: number;
  user_id: string | null;
  blocked: boolean | number | null;
  active: boolean | number | null;
  /** The member's account is deleted. */
  gone?: boolean | number | null;
}

/** Builds a snapshot from the rows of one consistent read (conversation left-joined with all its member rows). */
export function snapshotFromRows(conversationId: string, rows: readonly SnapshotRow[]): MemberSnapshot | null {
  const first = rows[0];
  if (!first) return null;
  const type = first.type === 'dm' ? 'dm' : 'room';
  const active = new Set<string>();
  const blockers = new Set<string>();
  const gone = new Set<string>();
  for (const r of rows) {
    if (r.user_id === null) continue;
    if (r.active) active.add(r.user_id);
    if (type === 'dm' && r.blocked) blockers.add(r.user_id);
    if (type === 'dm' && r.gone) gone.add(r.user_id);
  }
  return { conversationId, version: first.member_version, type, active, blockers, gone, roomRecipients: type === 'room' ? [...active] : null };
}

/**
 * Why `user` may not send here, or null when they may: an active member, in a
 * DM whose other participant still has an account and did not block them.
 */
export function sendRefusal(s: MemberSnapshot, user: string): 'notMember' | 'peerDeleted' | 'blocked' | null {
  if (!s.active.has(user)) return 'notMember';
  for (const g of s.gone) if (g !== user) return 'peerDeleted';
  for (const b of s.blockers) if (b !== user) return 'blocked';
  return null;
}

/** Who receives what `sender` pushes: active members, minus DM participants who blocked the sender (§12 item 18). */
export function recipientsOf(s: MemberSnapshot, sender: string): readonly string[] {
  if (s.roomRecipients) return s.roomRecipients;
  const out: string[] = [];
  for (const u of s.active) if (u === sender || !s.blockers.has(u)) out.push(u);
  return out;
}

/**
 * The newest snapshot seen per conversation on this node, bounded by the
 * number of member entries held (least recently loaded dropped first), so a
 * node in many large rooms keeps its memory in check. Entries are never
 * trusted blindly: readers say which version they need at least.
 */
export class SnapshotCache {
  readonly #byConv = new Map<string, MemberSnapshot>();
  #entries = 0;

  constructor(private readonly maxEntries = 1_000_000) {}

  get(conversationId: string): MemberSnapshot | undefined {
    return this.#byConv.get(conversationId);
  }

  put(s: MemberSnapshot): void {
    const held = this.#byConv.get(s.conversationId);
    if (held && held.version > s.version) return;
    if (held) this.#drop(s.conversationId, held);
    this.#byConv.set(s.conversationId, s);
    this.#entries += size(s);
    for (const [conv, oldest] of this.#byConv) {
      if (this.#entries <= this.maxEntries || oldest === s) break;
      this.#drop(conv, oldest);
    }
  }

  #drop(conversationId: string, s: MemberSnapshot): void {
    this.#byConv.delete(conversationId);
    this.#entries -= size(s);
  }
}

function size(s: MemberSnapshot): number {
  return 1 + s.active.size + s.blockers.size + s.gone.size;
}
