import { formatTs } from '../protocol/time.js';
import type { UserRecord } from '../store/account-store.js';
import type { Deps } from '../runtime/deps.js';
import { PresenceVisibility } from './presence-visibility.js';

/** UserSummary (PROTOCOL §3): `online` reflects every node. */
export interface UserSummary {
  id: string;
  public: unknown;
  online: boolean;
  lastSeen: string | null;
}

/**
 * `hidden`: the viewer may not see this user's presence (presence-visibility
 * rule); the summary is then that of a user who never came online.
 */
export function userSummary(u: UserRecord, online: boolean, hidden = false): UserSummary {
  if (hidden) return { id: u.id, public: u.public ?? null, online: false, lastSeen: null };
  return { id: u.id, public: u.public ?? null, online, lastSeen: u.lastSeen ? formatTs(u.lastSeen) : null };
}

/** What `viewer` may see of the presence of `userIds`: who is online, whose presence is hidden (one lookup each). */
export async function presenceFor(deps: Deps, viewer: string, userIds: readonly string[]): Promise<{ online: Set<string>; hidden: Set<string> }> {
  const [online, hidden] = await Promise.all([deps.presence.online(userIds), new PresenceVisibility(deps.stores).hiddenFrom(viewer, userIds)]);
  return { online, hidden };
}

/** Summaries for many users, as `viewer` may see them, with one presence lookup and one block lookup. */
export async function userSummaries(deps: Deps, viewer: string, users: readonly UserRecord[]): Promise<UserSummary[]> {
  const { online, hidden } = await presenceFor(
    deps,
    viewer,
    users.map((u) => u.id),
  );
  return users.map((u) => userSummary(u, online.has(u.id), hidden.has(u.id)));
}
