import { formatCursor } from '../../protocol/cursor.js';
import { dataBody, infoBody } from '../../protocol/frames.js';
import { formatTs } from '../../protocol/time.js';
import { hasReaction, type MessageHead } from '../../protocol/message-head.js';
import type { Deps } from '../../runtime/deps.js';
import type { MessageRecord } from '../../store/message-record.js';
import type { ConversationRecord, MembershipRecord } from '../../store/membership-store.js';
import type { Receipt } from '../../store/receipt-store.js';
import type { SyncEvent } from '../../store/sync-event-store.js';
import { maySeeActivity, PresenceVisibility, type Visibility } from '../presence-visibility.js';

type Frame = Record<string, unknown>;

const MESSAGE_KINDS = new Set(['data', 'edit', 'unsend', 'delete', 'react', 'pin']);

/** What one page's replay reads, once per page: never a query per event. */
interface PageState {
  userId: string;
  messages: Map<string, { message: MessageRecord; hidden: boolean }>;
  conversations: Map<string, ConversationRecord | null>;
  mine: Map<string, MembershipRecord | null>;
  receipts: Map<string, Map<string, Receipt>>;
  visibility: Visibility;
  decrypt: (m: MessageRecord) => unknown;
}

/**
 * Turns one page of sync events into the frames `userId` gets now: each
 * event shows the current state, not the original frame (an edited message
 * with its current content, an erased one as its tombstone, a reaction with
 * whether it is on now), and only what she may still see (no content hidden
 * or expired for her, no receipts across a block or her privacy settings).
 * An event whose state a later event replaces (a pin moved since) is left
 * out: the later one is in the log too.
 */
export async function replayEvents(deps: Deps, userId: string, events: readonly SyncEvent[]): Promise<Frame[]> {
  const state = await loadPage(deps, userId, events);
  const out: Frame[] = [];
  for (const e of events) {
    const frame = replayOne(state, e);
    if (frame) out.push(frame);
  }
  return out;
}

async function loadPage(deps: Deps, userId: string, events: readonly SyncEvent[]): Promise<PageState> {
  const { stores } = deps;
  const convs = [...new Set(events.map((e) => e.conversationId))];
  const refs = events.filter((e) => MESSAGE_KINDS.has(e.kind) && e.seq > 0).map((e) => ({ conv: e.conversationId, seq: e.seq }));
  const receiptConvs = [...new Set(events.filter((e) => e.kind === 'read' || e.kind === 'recv').map((e) => e.conversationId))];
  const actors = [...new Set(events.filter((e) => e.kind === 'read' || e.kind === 'recv').map((e) => e.from))];
  const now = new Date();
  const [messages, conversations, mine, receipts, visibility] = await Promise.all([
    stores.history.forReplay(userId, refs, now),
    byKey(convs, (c) => stores.membership.getConversation(c)),
    byKey(convs, (c) => stores.membership.getMembership(c, userId)),
    byKey(receiptConvs, async (c) => new Map((await stores.receipts.ofConversation(c)).map((r) => [r.userId, r]))),
    new PresenceVisibility(stores).toward(userId, actors),
  ]);
  const decrypt = (m: MessageRecord): unknown => {
    if (!m.content) return null;
    const plain = deps.cipher.decrypt(m.content, m.keyId);
    try {
      return plain ? JSON.parse(plain.toString('utf8')) : null;
    } catch {
      return null;
    }
  };
  return { userId, messages, conversations, mine, receipts, visibility, decrypt };
}

async function byKey<T>(keys: readonly string[], load: (k: string) => Promise<T>): Promise<Map<string, T>> {
  const values = await Promise.all(keys.map(load));
  return new Map(keys.map((k, i) => [k, values[i]!]));
}

function replayOne(s: PageState, e: SyncEvent): Frame | null {
  const cursor = formatCursor(e.pos);
  const base = { conv: e.conversationId, from: e.from, ts: formatTs(e.at), cursor };
  const info = (fields: Partial<Parameters<typeof infoBody>[0]> & { what: string }): Frame => ({ info: infoBody({ ...base, ...fields }) });
  const member = s.mine.get(e.conversationId) ?? null;
  switch (e.kind) {
    case 'data':
    case 'edit':
    case 'unsend':
    case 'delete':
    case 'react':
      return replayMessageEvent(s, e, member, info);
    case 'read':
    case 'recv': {
      if (!maySeeActivity(s.userId, e.from, e.kind, s.visibility)) return null;
      const now = s.receipts.get(e.conversationId)?.get(e.from);
      if (!now) return null;
      return info({ what: e.kind, seq: e.kind === 'read' ? now.readSeq : now.recvSeq });
    }
    case 'pin':
    case 'unpin': {
      const conv = s.conversations.get(e.conversationId);
      if (!conv) return null;
      if (conv.pinnedMessageId === null) return e.kind === 'unpin' ? info({ what: 'unpin' }) : null;
      const pinned = e.kind === 'pin' ? s.messages.get(`${e.conversationId}:${e.seq}`) : undefined;
      return pinned && pinned.message.id === conv.pinnedMessageId ? info({ what: 'pin', seq: e.seq }) : null;
    }
    case 'disappearing_updated': {
      const conv = s.conversations.get(e.conversationId);
      return conv ? info({ what: e.kind, ttl: conv.disappearingTtl ?? undefined }) : null;
    }
    case 'room_updated': {
      const conv = s.conversations.get(e.conversationId);
      if (!conv) return null;
      return e.extra === 'public' ? info({ what: e.kind, content: conv.public ?? null }) : info({ what: e.kind });
    }
    case 'member_joined':
    case 'member_kicked':
      return info({ what: e.kind, user: e.subject ?? undefined });
    case 'member_left':
      return info({ what: e.kind });
    case 'role_changed':
      return info({ what: e.kind, user: e.subject ?? undefined, content: { role: e.extra } });
    case 'expired':
    case 'delete_for_me':
      return info({ what: e.kind, seq: e.seq });
    case 'clear':
      return member ? info({ what: e.kind, seq: member.clearSeq }) : null;
    case 'settings':
      return member ? info({ what: e.kind, content: settingsOf(member) }) : null;
  }
  return null;
}

/** The DM flags of her membership, as `dm` answers them: the content of a `settings` info. */
export function settingsOf(m: MembershipRecord): Record<string, unknown> {
  return { favorite: m.favorite, muted: m.muted, blocked: m.blocked, private: m.private ?? null };
}

function replayMessageEvent(
  s: PageState,
  e: SyncEvent,
  member: MembershipRecord | null,
  info: (fields: Partial<Parameters<typeof infoBody>[0]> & { what: string }) => Frame,
): Frame | null {
  const found = s.messages.get(`${e.conversationId}:${e.seq}`);
  // Gone for her (deleted for her, expired, cleared) or never stored: nothing to show.
  if (!found || found.hidden || (member && e.seq <= member.clearSeq)) return null;
  const m = found.message;
  const erased = m.deletedAt !== null;
  if (e.kind === 'data') {
    const ts = formatTs(m.createdAt);
    const head = m.head as Record<string, unknown>;
    if (erased)
      return {
        data: { ...dataBody({ conv: m.conversationId, seq: m.seq, from: m.from, content: undefined, head, ts }), deleted: true, cursor: formatCursor(e.pos) },
      };
    return { data: dataBody({ conv: m.conversationId, seq: m.seq, from: m.from, content: s.decrypt(m), head, ts, cursor: formatCursor(e.pos) }) };
  }
  // Any change to an erased message replays as its tombstone: never the erased content.
  if (erased || e.kind === 'unsend' || e.kind === 'delete') return info({ what: m.head.unsent === true ? 'unsend' : 'delete', from: m.from, seq: m.seq });
  if (e.kind === 'edit') return info({ what: 'edit', from: m.from, seq: m.seq, content: s.decrypt(m), ts: editedAt(m.head) ?? formatTs(e.at) });
  const emoji = e.extra ?? '';
  return info({ what: 'react', seq: m.seq, emoji, added: hasReaction(m.head, emoji, e.from) });
}

function editedAt(head: MessageHead): string | undefined {
  return typeof head.edited_at === 'string' ? head.edited_at : undefined;
}
