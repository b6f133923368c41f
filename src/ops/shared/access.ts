import { parseUuid } from '../../content/uuid.js';
import type { Logger } from '../../logger.js';
import { fail, type ErrorName } from '../../protocol/errors.js';
import { OpError } from '../../protocol/op-error.js';
import type { MembershipRecord } from '../../store/membership-store.js';
import type { Services } from '../../runtime/deps.js';

/** The canonical conversation id, or `400 invalid conv id`. */
export function convId(raw: string): string {
  return parseUuid(raw) ?? fail('invalidConvId');
}

/** The requester's active membership, or `403 not a member` (removed members included, §12 items 1–2). */
export async function activeMember(services: Services, conversationId: string, userId: string): Promise<MembershipRecord> {
  const m = await services.stores.membership.getActiveMembership(conversationId, userId);
  return m ?? fail('notMember');
}

/** `limit` for history and mentions: 1–100, anything else 50 (§3.8). */
export function pageLimit(limit: number | undefined): number {
  return limit !== undefined && limit >= 1 && limit <= 100 ? limit : 50;
}

/**
 * Answers an unexpected storage failure of one step with `name` (the
 * step's own error text); a backend outage still reaches the dispatcher,
 * which answers 503.
 */
export async function orFail<T>(services: Services, log: Logger, work: Promise<T>, name: ErrorName): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof OpError || services.health.isUnavailable(err)) throw err;
    log.error({ err }, 'storage step failed');
    return fail(name);
  }
}
