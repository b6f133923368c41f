import { replayEvents } from '../../domain/sync/sync-replay.js';
import { formatCursor, parseCursor } from '../../protocol/cursor.js';
import { fail } from '../../protocol/errors.js';
import { step } from '../shared/step.js';
import { ok, type OpResult, type UserOpContext } from '../op.js';
import type { GetBody } from '../../protocol/schemas/get.js';

const DEFAULT_PAGE = 500;
const MAX_PAGE = 1000;

/**
 * `get {what:"sync", since}` (mvchat addition): the events after `since`
 * across all her conversations, in order, as `{events, cursor, more}`.
 * Without `since`: no events and the cursor of now. A cursor older than the
 * log keeps (or not from this log) answers `{gap: true, cursor}`: reload
 * history, then continue from that cursor.
 */
export async function getSync(ctx: UserOpContext, body: GetBody): Promise<OpResult> {
  const { deps, userId } = ctx;
  const events = deps.stores.events;
  const since = body.since === undefined ? null : parseCursor(body.since);
  if (body.since !== undefined && since === null) fail('invalidCursor');
  const limit = body.limit !== undefined && body.limit >= 1 && body.limit <= MAX_PAGE ? body.limit : DEFAULT_PAGE;
  // Read first: every event at or below `latest` is visible to the page read below (positions follow commit order).
  const latest = await step(ctx, 'syncFailed', () => events.latest());
  if (since === null) return ok({ events: [], cursor: formatCursor(latest), more: false });
  if (since > latest) return ok({ gap: true, cursor: formatCursor(latest) });
  const rows = await step(ctx, 'syncFailed', () => events.page(userId, since, limit + 1));
  // After the page: a prune that ran meanwhile is seen here.
  const floor = await step(ctx, 'syncFailed', () => events.floor());
  if (since < floor) return ok({ gap: true, cursor: formatCursor(latest) });
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page.at(-1)?.pos ?? since;
  const cursor = more ? last : Math.max(last, latest);
  const frames = await step(ctx, 'syncFailed', () => replayEvents(deps, userId, page));
  return ok({ events: frames, cursor: formatCursor(cursor), more });
}
