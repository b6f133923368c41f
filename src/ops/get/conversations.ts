import { conversationItems } from '../../domain/conversation-view.js';
import { step } from '../../domain/conversation-rules.js';
import { ok, type OpResult, type UserOpContext } from '../op.js';
import type { GetBody } from '../get.js';

/** PROTOCOL §3.8.1: a fixed number of queries whatever the number of conversations. */
export async function getConversations(ctx: UserOpContext, _body: GetBody): Promise<OpResult> {
  const items = await step(ctx, 'getConversationsFailed', async () => {
    const listings = await ctx.services.stores.conversations.listForUser(ctx.userId);
    return conversationItems(ctx.services, listings, { withPrivate: false });
  });
  return ok({ conversations: items });
}
