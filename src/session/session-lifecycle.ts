import type { Presence } from '../cluster/presence.js';
import type { PresenceNotifier } from '../domain/presence-notifier.js';
import type { BackgroundTasks } from '../runtime/background-tasks.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../runtime/metrics.js';
import type { Session, SessionEvents } from './session.js';
import type { SessionRegistry } from './session-registry.js';

/** How long an announcement the store could not make (PostgreSQL down) is tried again. */
const ANNOUNCE_RETRY_MS = 120_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Keeps the registry and presence in step with sessions. Index changes are
 * synchronous; presence transitions for one user run in call order.
 */
export class SessionLifecycle implements SessionEvents {
  constructor(
    private readonly registry: SessionRegistry<Session>,
    private readonly presence: Presence,
    private readonly notifier: PresenceNotifier,
    private readonly tasks: BackgroundTasks,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  slowConsumer(): void {
    this.metrics.slowConsumerCloses.inc();
  }

  frameSent(): void {
    this.metrics.frameOut();
  }

  /** A presence backend outage must not fail a login; state is written again when it returns. */
  readonly #presenceDown = (err: unknown): boolean => {
    this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'presence update failed');
    return false;
  };

  async userChanged(session: Session, from: string | null, to: string | null): Promise<void> {
    this.registry.move(session, from, to);
    // Both transitions start before any await, so a close that races this login
    // reaches presence after them and cannot leave a count behind.
    const left = from ? this.presence.disconnect(from).catch(this.#presenceDown) : Promise.resolve(false);
    const joined = to ? this.presence.connect(to).catch(this.#presenceDown) : Promise.resolve(false);
    if (from && (await left)) await this.#announce(from, false);
    if (to && (await joined)) await this.#announce(to, true);
  }

  closed(session: Session, userId: string | null): void {
    this.registry.remove(session);
    if (userId) void this.tasks.run('presence-off', () => this.#leave(userId));
  }

  async #leave(userId: string): Promise<void> {
    if (await this.presence.disconnect(userId)) await this.#announce(userId, false);
  }

  /**
   * Tells her subscribers. When that fails (the store is down: her audience and
   * last-seen time live there) it is tried again in the background, as long as
   * it is still true, so her watchers do not keep showing her in the state of
   * before the outage. The caller (a login, a close) is not held up.
   */
  async #announce(userId: string, online: boolean): Promise<void> {
    const at = new Date();
    const tell = () => (online ? this.notifier.online(userId) : this.notifier.offline(userId, at));
    try {
      await tell();
    } catch (err) {
      this.log.warn({ err: err instanceof Error ? err.message : String(err), user: userId, online }, 'presence announcement failed; retrying');
      void this.tasks.run('presence-announce', () => this.#retry(userId, online, tell), ANNOUNCE_RETRY_MS + 10_000);
    }
  }

  async #retry(userId: string, online: boolean, tell: () => Promise<void>): Promise<void> {
    const until = Date.now() + ANNOUNCE_RETRY_MS;
    for (let delay = 250; ; delay = Math.min(delay * 2, 2000)) {
      await sleep(delay);
      // Changed again meanwhile: that change is announced on its own.
      if ((await this.presence.online([userId])).has(userId) !== online) return;
      try {
        return await tell();
      } catch (err) {
        if (Date.now() + delay > until) throw err;
      }
    }
  }
}
