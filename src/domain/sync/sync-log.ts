import { formatCursor } from '../../protocol/cursor.js';
import type { Deps } from '../../runtime/deps.js';
import type { NewSyncEvent } from '../../store/sync-event-store.js';

export type EventToLog = Omit<NewSyncEvent, 'at'> & { at?: Date | undefined };

/**
 * Stores events in the sync log and returns their cursors, in order, for the
 * live frames: the cursor of a conversation event is the same for every
 * recipient, so its frame is still serialized once. Called once the change
 * itself is stored.
 */
export async function logEvents(deps: Deps, events: readonly EventToLog[]): Promise<string[]> {
  const now = new Date();
  const positions = await deps.stores.events.append(events.map((e) => ({ ...e, at: e.at ?? now })));
  return positions.map(formatCursor);
}

export async function logEvent(deps: Deps, event: EventToLog): Promise<string> {
  const [cursor] = await logEvents(deps, [event]);
  return cursor!;
}

/** Her own change (delete for me, clear, settings) to her other sessions: only she sees these. */
export function tellOwnSessions(deps: Deps, userId: string, frame: string, exceptSession: string): void {
  deps.bus.publish([userId], frame, { exceptSession });
}

/** Prunes events older than the retention setting, bounded per run; a cursor from before them answers `gap`. */
export async function pruneSyncLog(deps: Deps, retentionSeconds: number): Promise<void> {
  const before = new Date(Date.now() - retentionSeconds * 1000);
  for (let i = 0; i < 20; i++) {
    if ((await deps.stores.events.prune(before, 5000)) < 5000) return;
  }
}
