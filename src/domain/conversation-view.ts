import { formatTs } from '../protocol/time.js';
import type { ConversationListing } from '../store/conversation-store.js';
import { userSummaries, type UserSummary } from './user-view.js';
import type { Deps } from '../runtime/deps.js';

/**
 * ConversationItem (PROTOCOL §3.8.1/§3.8.2). `peer` is the DM partner's
 * summary when that user exists and is not deleted. `unread` never goes
 * negative (§12 item 8).
 */
export function conversationItem(l: ConversationListing, peer: UserSummary | undefined, opts: { withPrivate: boolean }): Record<string, unknown> {
  const c = l.conversation;
  const m = l.membership;
  const item: Record<string, unknown> = {
    id: c.id,
    type: c.type,
    lastSeq: c.lastSeq,
    readSeq: m.readSeq,
    unread: Math.max(0, c.lastSeq - m.readSeq),
    favorite: m.favorite,
    muted: m.muted,
  };
  if (opts.withPrivate && m.private !== null && m.private !== undefined) item.private = m.private;
  if (c.lastMsgAt) item.lastMsgAt = formatTs(c.lastMsgAt);
  if (c.type === 'dm') {
    if (peer) item.user = peer;
  } else {
    item.public = c.public ?? null;
  }
  if (c.disappearingTtl) item.disappearingTTL = c.disappearingTtl;
  if (l.pinnedSeq !== null && c.pinnedAt) {
    item.pinnedSeq = l.pinnedSeq;
    item.pinnedAt = formatTs(c.pinnedAt);
    if (c.pinnedBy) item.pinnedBy = c.pinnedBy;
  }
  if (c.noScreenshots) item.noScreenshots = true;
  return item;
}

/** Items for many listings, as `viewer` sees them, with one user query and one presence lookup for all DM partners. */
export async function conversationItems(
  deps: Deps,
  viewer: string,
  listings: readonly ConversationListing[],
  opts: { withPrivate: boolean },
): Promise<Record<string, unknown>[]> {
  const peerIds = listings.flatMap((l) => (l.peerId ? [l.peerId] : []));
  const users = await deps.stores.accounts.getUsers(peerIds);
  const visible = [...users.values()].filter((u) => u.state !== 'deleted');
  const summaries = new Map((await userSummaries(deps, viewer, visible)).map((u) => [u.id, u]));
  return listings.map((l) => conversationItem(l, l.peerId ? summaries.get(l.peerId) : undefined, opts));
}
