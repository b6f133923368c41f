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
import type { BackgroundTasks } from './background-tasks.js';
import type { Mailer } from '../mail/mailer.js';
import type { OrderedPublisher } from './ordered-publisher.js';

/** The parts of a running node that ops and domain rules use; built once by the composition root (app.ts). */
export interface Deps {
  config: Config;
  log: Logger;
  stores: Stores;
  bus: Bus;
  presence: Presence;
  tokens: TokenService;
  cipher: ContentCipher;
  authThrottle: AuthThrottle;
  /** Counters for rate limits: in memory on one node, in Redis in a cluster (shared by every node). */
  limiters: LimiterFactory;
  metrics: Metrics;
  health: BackendHealth;
  tasks: BackgroundTasks;
  mailer: Mailer;
  /** Puts each conversation's `data` frames in seq order before fan-out. */
  publisher: OrderedPublisher;
  /** Starts the erase job of an account just marked deleted (runs in the background; resumed by a sweep if it stops). */
  accountDeletions: { start(userId: string): void };
}
