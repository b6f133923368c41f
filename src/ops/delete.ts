import { fail } from '../protocol/errors.js';
import type { UserOp } from './op.js';
import { object } from './schema-parts.js';

/** Placeholder until implemented: answers 500 "internal error". */
export const deleteOp: UserOp<Record<string, unknown>> = {
  name: 'delete',
  auth: 'user',
  cost: 1,
  failure: 'internalError',
  schema: object({}),
  async handle() {
    return fail('internalError');
  },
};
