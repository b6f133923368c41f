import { infoFrame } from '../../protocol/frames.js';
import { formatTs } from '../../protocol/time.js';
import type { Deps } from '../../runtime/deps.js';

/** Rows flipped per run; the rest wait for the next run. */
const BATCH = 500;
export const EXPIRY_SWEEP_MS = 2000;

/**
 * Marks due reads expired and tells each reader's sessions with
 * `info {conv, from: <sender>, what: "expired", seq}`. History already hides a
 * message once its `expires_at` has passed, so a late sweep only delays the
 * notice, never the disappearance.
 */
export async function sweepExpiredReads(deps: Deps): Promise<void> {
  const due = await deps.stores.receipts.expireDue(new Date(), BATCH);
  const ts = formatTs(new Date());
  for (const d of due) {
    deps.bus.publish([d.reader], infoFrame({ conv: d.conversationId, from: d.from, what: 'expired', seq: d.seq, ts }));
  }
}
