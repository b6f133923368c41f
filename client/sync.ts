import type { MvchatClient } from './mvchat-client.js';
import { isSuccess, type ServerFrame } from './frames.js';

/** What one catch-up brought. */
export interface CatchUp {
  /** The frames after the cursor, oldest first, each with its own `cursor`, as things are now. */
  events: ServerFrame[];
  /** Where the next catch-up starts: keep it once these events are applied. */
  cursor: string;
  /** The cursor was older than the server keeps: reload conversations and history, then go on from `cursor`. */
  gap: boolean;
}

/** `get sync` answered an error (`400 invalid cursor`, `503` in an outage, ...). */
export class SyncError extends Error {
  constructor(
    readonly code: number,
    readonly text: string,
  ) {
    super(`sync failed: ${code} ${text}`);
    this.name = 'SyncError';
  }
}

/**
 * Catches up after a (re)connect: `get {what:"sync", since}` page after page
 * until the server says there is no more. Without `since` it only fetches
 * the cursor of now (a starting point after loading history).
 */
export async function catchUp(client: MvchatClient, since: string | undefined, options: { limit?: number; timeoutMs?: number } = {}): Promise<CatchUp> {
  const events: ServerFrame[] = [];
  let cursor = since;
  for (;;) {
    const body: Record<string, unknown> = { what: 'sync' };
    if (cursor !== undefined) body.since = cursor;
    if (options.limit !== undefined) body.limit = options.limit;
    const ctrl = await client.request('get', body, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
    if (!isSuccess(ctrl)) throw new SyncError(ctrl.code, ctrl.text);
    const params = ctrl.params ?? {};
    const next = String(params.cursor);
    if (params.gap === true) return { events, cursor: next, gap: true };
    if (Array.isArray(params.events)) events.push(...(params.events as ServerFrame[]));
    cursor = next;
    if (params.more !== true) return { events, cursor, gap: false };
  }
}

/** The cursor a frame carries (`data` and `info`), if any. */
export function cursorOf(frame: ServerFrame): string | undefined {
  const body = (frame.data ?? frame.info) as { cursor?: unknown } | undefined;
  return typeof body?.cursor === 'string' ? body.cursor : undefined;
}

/**
 * Drops frames a client has already applied, as the delivery rules ask:
 * a cursor seen before, or a `data` whose conversation and seq it has
 * (live frames and a catch-up overlap). Remembers the newest `limit` of each.
 */
export class SeenFrames {
  readonly #cursors = new Set<string>();
  readonly #messages = new Set<string>();

  constructor(private readonly limit = 100_000) {}

  /** True the first time a frame is offered; false for a repeat. Frames without a cursor (`typing`, `pres`) are always fresh. */
  fresh(frame: ServerFrame): boolean {
    const cursor = cursorOf(frame);
    const message = frame.data ? `${frame.data.conv}:${frame.data.seq}` : undefined;
    if ((cursor !== undefined && this.#cursors.has(cursor)) || (message !== undefined && this.#messages.has(message))) return false;
    if (cursor !== undefined) remember(this.#cursors, cursor, this.limit);
    if (message !== undefined) remember(this.#messages, message, this.limit);
    return true;
  }
}

function remember(set: Set<string>, key: string, limit: number): void {
  set.add(key);
  // A Set iterates in insertion order: the first key is the oldest.
  if (set.size > limit) set.delete(set.values().next().value as string);
}
