import type { DeliveryOptions, EndSessions, LocalDelivery, Notice, ReceivedControl } from '../cluster/bus.js';

export interface RegisteredSession {
  readonly id: string;
  readonly userId: string | null;
  /** Sessions opened under one login share a group; without one a session is its own group. */
  readonly group?: string | undefined;
  /** The client asked for notices in its `hi`. */
  readonly wantsNotices?: boolean;
  send(frame: string | Buffer, droppable?: boolean): void;
  close(code: number, reason?: string): void;
}

/**
 * The node's index of open sessions and of sessions per user. Every change is
 * synchronous, so a closed socket leaves every index at once (DEFECTS 6).
 */
export class SessionRegistry<S extends RegisteredSession = RegisteredSession> implements LocalDelivery {
  readonly #all = new Map<string, S>();
  readonly #byUser = new Map<string, Set<S>>();

  add(session: S): void {
    this.#all.set(session.id, session);
  }

  /** Re-indexes a session whose user changed from `from` to `to`. */
  move(session: S, from: string | null, to: string | null): void {
    if (from) this.#unindex(session, from);
    if (to) {
      let set = this.#byUser.get(to);
      if (!set) this.#byUser.set(to, (set = new Set()));
      set.add(session);
    }
  }

  remove(session: S): void {
    this.#all.delete(session.id);
    if (session.userId) this.#unindex(session, session.userId);
  }

  #unindex(session: S, userId: string): void {
    const set = this.#byUser.get(userId);
    if (!set) return;
    set.delete(session);
    if (set.size === 0) this.#byUser.delete(userId);
  }

  deliver(userIds: readonly string[], frame: string, options: DeliveryOptions): void {
    // Encoded once here rather than once per socket by the WebSocket library.
    const bytes = userIds.length > 1 ? Buffer.from(frame) : frame;
    for (const userId of userIds) {
      const set = this.#byUser.get(userId);
      if (!set) continue;
      for (const s of set) if (s.id !== options.exceptSession) s.send(bytes, options.droppable);
    }
  }

  control(userId: string, message: ReceivedControl): void {
    switch (message.kind) {
      case 'end-sessions':
        this.#endSessions(userId, message);
        return;
      case 'notice':
        this.#notice(userId, message);
        return;
      // A kind this node does not know (sent by a newer node) is ignored.
    }
  }

  #endSessions(userId: string, m: EndSessions): void {
    const set = this.#byUser.get(userId);
    if (!set) return;
    // Closing a session takes it out of the set: iterate over a copy.
    for (const s of [...set]) {
      if (s.id === m.exceptSession) continue;
      if (m.session !== undefined && (s.group ?? s.id) !== m.session) continue;
      if (m.exceptGroup !== undefined && (s.group ?? s.id) === m.exceptGroup) continue;
      s.close(m.code, m.reason);
    }
  }

  #notice(userId: string, m: Notice): void {
    const set = this.#byUser.get(userId);
    if (!set) return;
    for (const s of set) if (s.wantsNotices && (s.group ?? s.id) !== m.exceptGroup) s.send(m.frame);
  }

  hasUser(userId: string): boolean {
    return this.#byUser.has(userId);
  }

  get sessionCount(): number {
    return this.#all.size;
  }

  get userCount(): number {
    return this.#byUser.size;
  }

  sessions(): IterableIterator<S> {
    return this.#all.values();
  }
}
