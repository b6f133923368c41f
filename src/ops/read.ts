import { moveReceipt } from './shared/receipts.js';
import type { UserOp } from './op.js';
import { ReadSchema, type ReadBody } from '../protocol/schemas/read.js';

/** PROTOCOL §3.14: read receipt; starts disappearing/view-once timers for everything read (§5.5). */
export const read: UserOp<ReadBody> = {
  name: 'read',
  auth: 'user',
  cost: 1,
  failure: 'updateFailed',
  schema: ReadSchema,
  async handle(ctx, body) {
    return moveReceipt(ctx, body, 'read', (conv, s, ttl, at) => ctx.deps.stores.receipts.markRead(conv, ctx.userId, s, { readAt: at, conversationTtl: ttl }));
  },
};
