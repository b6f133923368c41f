import { fail } from '../protocol/errors.js';
import type { OpResult, UserOp, UserOpContext } from './op.js';
import { GetSchema, type GetBody } from '../protocol/schemas/get.js';
import { getConversations } from './get/conversations.js';
import { getConversation } from './get/conversation.js';
import { getMessages } from './get/messages.js';
import { getMembers } from './get/members.js';
import { getReceipts } from './get/receipts.js';
import { getContacts } from './get/contacts.js';
import { getUser } from './get/user.js';
import { getMentions } from './get/mentions.js';
import { getSessions } from './get/sessions.js';
import { getSync } from './get/sync.js';

const READERS: Record<string, (ctx: UserOpContext, body: GetBody) => Promise<OpResult>> = {
  conversations: getConversations,
  conversation: getConversation,
  messages: getMessages,
  members: getMembers,
  receipts: getReceipts,
  contacts: getContacts,
  user: getUser,
  mentions: getMentions,
  sessions: getSessions,
  sync: getSync,
};

/** PROTOCOL §3.8: one reader per `what`. */
export const get: UserOp<GetBody> = {
  name: 'get',
  auth: 'user',
  cost: 2,
  failure: 'databaseError',
  schema: GetSchema,
  async handle(ctx, body) {
    const reader = Object.hasOwn(READERS, body.what ?? '') ? READERS[body.what ?? ''] : undefined;
    if (!reader) return fail('unknownWhat');
    return reader(ctx, body);
  },
};
