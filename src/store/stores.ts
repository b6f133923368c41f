import type { Db } from './database.js';
import type { AccountStore } from './account-store.js';
import type { PresenceStore } from './presence-store.js';
import type { MembershipStore } from './membership-store.js';
import type { ConversationStore } from './conversation-store.js';
import type { ContactStore } from './contact-store.js';
import type { InviteStore } from './invite-store.js';
import type { MessageStore } from './message-store.js';
import type { FileStore } from './file-store.js';
import type { EmailVerificationStore } from './email-verification-store.js';

/** The storage ports, one per aggregate, over one database. */
export interface Stores {
  db: Db;
  accounts: AccountStore;
  presence: PresenceStore;
  membership: MembershipStore;
  conversations: ConversationStore;
  contacts: ContactStore;
  invites: InviteStore;
  messages: MessageStore;
  files: FileStore;
  emailVerifications: EmailVerificationStore;
}
