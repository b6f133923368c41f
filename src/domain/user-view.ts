import { formatTs } from '../protocol/time.js';
import type { UserRecord } from '../store/account-store.js';
import type { Deps } from '../runtime/deps.js';

/** UserSummary (PROTOCOL §3): `online` reflects every node. */
export interface UserSummary {
  id: string;
  public: unknown;
  online: boolean;
  lastSeen: string | null;
}

export function userSummary(u: UserRecord, online: boolean): UserSummary {
  return { id: u.id, public: u.public ?? null, online, lastSeen: u.lastSeen ? formatTs(u.lastSeen) : null };
}

/** Summaries for many users with one presence lookup. */
export async function userSummaries(deps: Deps, users: readonly UserRecord[]): Promise<UserSummary[]> {
  const online = await deps.presence.online(users.map((u) => u.id));
  return users.map((u) => userSummary(u, online.has(u.id)));
}
