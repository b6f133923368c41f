import type { MvchatClient, ServerFrame } from '../client/index.js';

interface Seen {
  online: boolean;
  /** When the view last changed to this value. */
  at: number;
}

/**
 * What a watcher's screen shows of some users' presence: loaded with
 * `get {what:"user"}` after each login, then moved by `pres` frames.
 */
export class PresenceView {
  readonly #state = new Map<string, Seen>();
  /** Counts `pres` frames per user, so a `get user` answer older than a frame does not overwrite it. */
  readonly #frames = new Map<string, number>();

  constructor(private readonly subjects: () => readonly string[]) {}

  onFrame(frame: ServerFrame): void {
    const p = frame.pres;
    if (!p) return;
    this.#frames.set(p.user, (this.#frames.get(p.user) ?? 0) + 1);
    this.#set(p.user, p.what === 'on');
  }

  /** Reads every subject's `online` (after a login, when frames may have been missed). */
  async load(conn: MvchatClient): Promise<void> {
    await Promise.all(
      this.subjects().map(async (user) => {
        const before = this.#frames.get(user) ?? 0;
        const r = await conn.request('get', { what: 'user', user });
        if (r.code !== 200) throw new Error(`get user answered ${r.code} ${r.text}`);
        const online = Boolean((r.params?.user as { online?: boolean } | undefined)?.online);
        if ((this.#frames.get(user) ?? 0) === before) this.#set(user, online);
      }),
    );
  }

  get(user: string): Seen | undefined {
    return this.#state.get(user);
  }

  #set(user: string, online: boolean): void {
    if (this.#state.get(user)?.online !== online) this.#state.set(user, { online, at: Date.now() });
  }
}
