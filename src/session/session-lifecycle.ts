import type { Presence } from '../cluster/presence.js';
import type { PresenceNotifier } from '../domain/presence-notifier.js';
import type { BackgroundTasks } from '../runtime/background-tasks.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../runtime/metrics.js';
import type { Session, SessionEvents } from './session.js';
import type { SessionRegistry } from './session-registry.js';

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
    if (from && (await left)) await this.notifier.offline(from);
    if (to && (await joined)) await this.notifier.online(to);
  }

  closed(session: Session, userId: string | null): void {
    this.registry.remove(session);
    if (userId) void this.tasks.run('presence-off', () => this.#leave(userId));
  }

  async #leave(userId: string): Promise<void> {
    if (await this.presence.disconnect(userId)) await this.notifier.offline(userId);
  }
}
