import { fail } from '../../protocol/errors.js';
import { conversationItems } from '../../domain/conversation-view.js';
import { activeMembershipOrFail, convIdOrFail } from '../shared/guards.js';
import { step } from '../shared/step.js';
import { ok, type OpResult, type UserOpContext } from '../op.js';
import type { GetBody } from '../../protocol/schemas/get.js';

/** PROTOCOL §3.8.2: the requester's view of one conversation, `private` included. */
export async function getConversation(ctx: UserOpContext, body: GetBody): Promise<OpResult> {
  if (!body.conv) fail('missingConvId');
  const convId = convIdOrFail(body.conv);
  await activeMembershipOrFail(ctx, convId, ctx.userId);
  const listing = await step(ctx, 'databaseError', () => ctx.deps.stores.conversations.listing(convId, ctx.userId));
  if (!listing) fail('conversationNotFound');
  const [item] = await step(ctx, 'databaseError', () => conversationItems(ctx.deps, ctx.userId, [listing], { withPrivate: true }));
  return ok({ conversation: item });
}
