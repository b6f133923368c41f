import type { AckBook } from './acks.js';
import { addStats, type ClientStats } from './client-stats.js';
import type { World } from './world.js';

export interface DeliveryResult {
  /** Acknowledged messages with at least one recipient that does not have them after the catch-up. */
  lost: number;
  /** (message, recipient) pairs expected, and how many of them first arrived through a catch-up. */
  deliveries: number;
  viaCatchUp: number;
  duplicates: number;
  stats: ClientStats;
  /** A few of the missing ones, for the log. */
  details: string[];
}

/**
 * Every acknowledged message must be held, exactly once and with its own
 * token, by every other member of its conversation. Duplicates are what
 * dedup by seq must never see: a token at two seqs, one seq with two tokens
 * (in a client or among the acknowledgements), one live frame twice on one socket.
 */
export function verifyDelivery(acks: AckBook, world: World): DeliveryResult {
  const stats = addStats(world.roundClients.map((c) => c.stats));
  let lost = 0;
  let deliveries = 0;
  let viaCatchUp = 0;
  const details: string[] = [];
  for (const m of acks.acked.values()) {
    let missing = 0;
    for (const r of world.members.get(m.conv) ?? []) {
      if (r === m.from) continue;
      deliveries++;
      const state = r.ledger.conv(m.conv);
      const held = state.seen.get(m.seq);
      if (held !== m.token) {
        missing++;
        if (details.length < 10) details.push(`${m.token} (seq ${m.seq}) missing at ${r.name}${held ? `, which has ${held} there` : ''}`);
      } else if (state.via.get(m.seq) === 'catch-up') viaCatchUp++;
    }
    if (missing > 0) lost++;
  }
  return { lost, deliveries, viaCatchUp, duplicates: stats.duplicates + acks.conflicts, stats, details };
}
