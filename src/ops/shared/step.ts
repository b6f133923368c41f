import { fail, type ErrorName } from '../../protocol/errors.js';
import { OpError } from '../../protocol/op-error.js';
import type { OpContext } from '../op.js';

/**
 * Runs one storage step of an op. The one outage rule: a backend that is
 * down (PostgreSQL, Redis, disk) reaches the dispatcher, which answers 503;
 * a catalog error passes through; any other failure is logged and answers
 * `failure`, the spec's text for that step (`failed to create dm`, ...).
 * The cause is never sent.
 */
export async function step<T>(ctx: OpContext, failure: ErrorName, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof OpError || ctx.deps.health.isUnavailable(err)) throw err;
    ctx.log.error({ err }, failure);
    return fail(failure);
  }
}
