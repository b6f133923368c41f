import { infoFrame } from '../../protocol/frames.js';
import { formatTs } from '../../protocol/time.js';
import type { Deps } from '../../runtime/deps.js';
import { logEvents } from '../sync/sync-log.js';

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
  if (due.length === 0) return;
  const ts = formatTs(new Date());
  // One event of the reader's own per expiry, so a device that was away learns it through sync. The rows are
  // flipped already: if the log cannot be written, the live notices still go out (history hides the messages anyway).
  let cursors: (string | undefined)[] = [];
  try {
    cursors = await logEvents(
      deps,
      due.map((d) => ({ conversationId: d.conversationId, userId: d.reader, kind: 'expired', from: d.from, seq: d.seq })),
    );
  } catch (err) {
    deps.log.error({ err }, 'expiry events could not be logged for sync');
  }
  for (const [i, d] of due.entries()) {
    deps.bus.publish([d.reader], infoFrame({ conv: d.conversationId, from: d.from, what: 'expired', seq: d.seq, ts, cursor: cursors[i] }));
  }
}
