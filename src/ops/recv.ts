import { moveReceipt } from './shared/receipts.js';
import type { UserOp } from './op.js';
import { RecvSchema, type RecvBody } from '../protocol/schemas/recv.js';

/** PROTOCOL §3.15: delivery receipt. */
export const recv: UserOp<RecvBody> = {
  name: 'recv',
  auth: 'user',
  cost: 1,
  failure: 'updateFailed',
  schema: RecvSchema,
  async handle(ctx, body) {
    return moveReceipt(ctx, body, 'recv', (conv, s, _ttl, at) => ctx.deps.stores.receipts.markReceived(conv, ctx.userId, s, at));
  },
};
