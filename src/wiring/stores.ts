import type { Db } from '../store/database.js';
import { AccountStore } from '../store/account-store.js';
import { PresenceStore } from '../store/presence-store.js';
import { MembershipStore } from '../store/membership-store.js';
import { ConversationStore } from '../store/conversation-store.js';
import { ContactStore } from '../store/contact-store.js';
import { InviteStore } from '../store/invite-store.js';
import { MessageSendStore } from '../store/message-send-store.js';
import { MessageHistoryStore } from '../store/message-history-store.js';
import { MessageEditStore } from '../store/message-edit-store.js';
import { ReceiptStore } from '../store/receipt-store.js';
import { FileStore } from '../store/file-store.js';
import { EmailVerificationStore } from '../store/email-verification-store.js';
import { SessionStore } from '../store/session-store.js';
import { AccountDeletionStore } from '../store/account-deletion-store.js';
import { SyncEventStore } from '../store/sync-event-store.js';
import type { Stores } from '../store/stores.js';

/** Every store over one database. */
export function createStores(db: Db): Stores {
  // One membership store per database: it holds the node's member-list cache.
  const membership = new MembershipStore(db);
  const events = new SyncEventStore(db);
  return {
    db,
    accounts: new AccountStore(db),
    presence: new PresenceStore(db),
    membership,
    conversations: new ConversationStore(db, membership),
    contacts: new ContactStore(db),
    invites: new InviteStore(db),
    sends: new MessageSendStore(db, membership, events),
    history: new MessageHistoryStore(db),
    edits: new MessageEditStore(db),
    receipts: new ReceiptStore(db),
    files: new FileStore(db),
    emailVerifications: new EmailVerificationStore(db),
    sessions: new SessionStore(db),
    deletions: new AccountDeletionStore(db),
    events,
  };
}
