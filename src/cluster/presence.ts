/**
 * Who is online, across every node. Transitions are atomic: of many sessions
 * of one user opening at once anywhere, exactly one `connect` returns true;
 * of their closing, exactly one `disconnect` returns true (the last). A
 * backend that cannot decide at the time (Redis away) answers false and
 * reports the net change later, as a `PresenceChange`.
 */
export interface Presence {
  /** A session of `userId` logged in on this node; true when the user came online. */
  connect(userId: string): Promise<boolean>;
  /** A session of `userId` on this node closed or switched user; true when the user went offline. */
  disconnect(userId: string): Promise<boolean>;
  /** The subset of `userIds` online anywhere. */
  online(userIds: readonly string[]): Promise<Set<string>>;
  close(): Promise<void>;
}

/**
 * A transition a presence backend found by itself rather than in answer to
 * `connect`/`disconnect` (a dead node's users, changes made while the backend
 * was unreachable); whoever receives it tells the user's subscribers.
 */
export interface PresenceChange {
  userId: string;
  online: boolean;
  /** When it happened: for `online: false`, when her last session closed (her last seen). */
  at: Date;
}

/** Tells one change to the user's subscribers. */
export type AnnouncePresence = (change: PresenceChange) => Promise<void>;
