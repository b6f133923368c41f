import type { SlowConsumerPlan } from './fault-slow-consumer.js';
import type { RoundPlan } from './round.js';
import type { WorldPlan } from './world.js';

export interface SuitePlan {
  mode: 'short' | 'full';
  cluster: WorldPlan;
  embedded: WorldPlan;
  round: RoundPlan;
  slow: SlowConsumerPlan;
  /** The whole run stops (and fails) after this long, whatever it is doing. */
  limitMs: number;
}

/**
 * Sizes of the two forms. The short one (part of `npm test`) lowers the
 * presence TTL to 3 s so a round needs seconds, not half a minute; the full
 * one keeps the server's default TTL of 30 s and has more clients, above the
 * size from which a room frame is published once for all nodes.
 */
export function suitePlan(short: boolean): SuitePlan {
  const ttlSeconds = short ? 3 : 30;
  const reconnectWithinMs = short ? 30_000 : 90_000;
  return {
    mode: short ? 'short' : 'full',
    cluster: { clients: short ? 10 : 36, slots: 2, reconnectWithinMs },
    embedded: { clients: short ? 6 : 16, slots: 1, reconnectWithinMs },
    round: {
      intervalMs: short ? 200 : 300,
      attempts: 6,
      warmupMs: short ? 1500 : 5000,
      outageMs: short ? 2000 : 6000,
      ttlSeconds,
      observeMs: (ttlSeconds + 2) * 1000,
      afterReadyMs: short ? 1500 : 5000,
      drainMs: short ? 8000 : 20_000,
      settleMs: short ? 15_000 : 60_000,
    },
    slow: { padBytes: 16_000, maxMessages: 3000, withinMs: 30_000 },
    limitMs: short ? 170_000 : 20 * 60_000,
  };
}
