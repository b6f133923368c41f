import { fail } from '../../protocol/errors.js';
import type { OpResult, UserOpContext } from '../op.js';
import type { GetBody } from '../get.js';

/** Placeholder until implemented. */
export async function getReceipts(_ctx: UserOpContext, _body: GetBody): Promise<OpResult> {
  return fail('internalError');
}
