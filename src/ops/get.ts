import { fail } from '../protocol/errors.js';
import type { OpResult, UserOp, UserOpContext } from './op.js';
import { int, object, str, uuidish } from './schema-parts.js';
import { getConversations } from './get/conversations.js';
import { getConversation } from './get/conversation.js';
import { getMessages } from './get/messages.js';
import { getMembers } from './get/members.js';
import { getReceipts } from './get/receipts.js';
import { getContacts } from './get/contacts.js';
import { getUser } from './get/user.js';
import { getMentions } from './get/mentions.js';

export interface GetBody {
  what?: string;
  conv?: string;
  user?: string;
  before?: number;
  after?: number;
  limit?: number;
}

const READERS: Record<string, (ctx: UserOpContext, body: GetBody) => Promise<OpResult>> = {
  conversations: getConversations,
  conversation: getConversation,
  messages: getMessages,
  members: getMembers,
  receipts: getReceipts,
  contacts: getContacts,
  user: getUser,
  mentions: getMentions,
};

/** PROTOCOL §3.8: one reader per `what`. */
export const get: UserOp<GetBody> = {
  name: 'get',
  auth: 'user',
  cost: 2,
  failure: 'databaseError',
  schema: object({
    what: str(32),
    conv: uuidish,
    user: uuidish,
    before: int(-2_147_483_647),
    after: int(-2_147_483_647),
    limit: int(-2_147_483_647),
  }),
  async handle(ctx, body) {
    const reader = Object.hasOwn(READERS, body.what ?? '') ? READERS[body.what ?? ''] : undefined;
    if (!reader) return fail('unknownWhat');
    return reader(ctx, body);
  },
};
