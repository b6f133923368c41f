import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Bus } from '../cluster/bus.js';
import type { Presence } from '../cluster/presence.js';
import type { TokenService } from '../crypto/tokens.js';
import type { ContentCipher } from '../crypto/content-cipher.js';
import type { Stores } from '../store/stores.js';
import type { AuthThrottle, LimiterFactory } from './auth-throttle.js';
import type { Metrics } from './metrics.js';
import type { BackendHealth } from './backend-health.js';
import type { PresenceNotifier } from '../domain/presence-notifier.js';
import type { BackgroundTasks } from './background-tasks.js';
import type { Mailer } from '../mail/mailer.js';

/** Everything ops and domain services use; built once in app.ts. */
export interface Services {
  config: Config;
  log: Logger;
  stores: Stores;
  bus: Bus;
  presence: Presence;
  presenceNotifier: PresenceNotifier;
  tokens: TokenService;
  cipher: ContentCipher;
  authThrottle: AuthThrottle;
  /** Counters for rate limits: in memory on one node, in Redis in a cluster (shared by every node). */
  limiters: LimiterFactory;
  metrics: Metrics;
  health: BackendHealth;
  tasks: BackgroundTasks;
  mailer: Mailer;
}
