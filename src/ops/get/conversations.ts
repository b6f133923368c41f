import { conversationItems } from '../../domain/conversation-view.js';
import { step } from '../shared/step.js';
import { ok, type OpResult, type UserOpContext } from '../op.js';
import type { GetBody } from '../../protocol/schemas/get.js';

/** PROTOCOL §3.8.1: a fixed number of queries whatever the number of conversations. */
export async function getConversations(ctx: UserOpContext, _body: GetBody): Promise<OpResult> {
  const items = await step(ctx, 'getConversationsFailed', async () => {
    const listings = await ctx.deps.stores.conversations.listForUser(ctx.userId);
    return conversationItems(ctx.deps, ctx.userId, listings, { withPrivate: false });
  });
  return ok({ conversations: items });
}
