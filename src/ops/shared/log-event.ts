import { logEvent, type EventToLog } from '../../domain/sync/sync-log.js';
import type { ErrorName } from '../../protocol/errors.js';
import type { OpContext } from '../op.js';
import { step } from './step.js';

/** Stores an op's event in the sync log (after its change), with the one outage rule; returns the cursor for its frame. */
export function logOpEvent(ctx: OpContext, failure: ErrorName, event: EventToLog): Promise<string> {
  return step(ctx, failure, () => logEvent(ctx.deps, event));
}
