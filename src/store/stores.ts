import type { Db } from './database.js';
import { AccountStore } from './account-store.js';
import { PresenceStore } from './presence-store.js';
import { MembershipStore } from './membership-store.js';
import { ConversationStore } from './conversation-store.js';
import { ContactStore } from './contact-store.js';
import { InviteStore } from './invite-store.js';
import { MessageStore } from './message-store.js';
import { FileStore } from './file-store.js';

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
}

export function createStores(db: Db): Stores {
  // One membership store per database: it holds the node's member-list cache.
  const membership = new MembershipStore(db);
  return {
    db,
    accounts: new AccountStore(db),
    presence: new PresenceStore(db),
    membership,
    conversations: new ConversationStore(db, membership),
    contacts: new ContactStore(db),
    invites: new InviteStore(db),
    messages: new MessageStore(db, membership),
    files: new FileStore(db),
  };
}
