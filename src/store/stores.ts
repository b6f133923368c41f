import type { Db } from './database.js';
import type { AccountStore } from './account-store.js';
import type { PresenceStore } from './presence-store.js';
import type { MembershipStore } from './membership-store.js';
import type { ConversationStore } from './conversation-store.js';
import type { ContactStore } from './contact-store.js';
import type { InviteStore } from './invite-store.js';
import type { MessageSendStore } from './message-send-store.js';
import type { MessageHistoryStore } from './message-history-store.js';
import type { MessageEditStore } from './message-edit-store.js';
import type { ReceiptStore } from './receipt-store.js';
import type { FileStore } from './file-store.js';
import type { EmailVerificationStore } from './email-verification-store.js';
import type { SessionStore } from './session-store.js';
import type { AccountDeletionStore } from './account-deletion-store.js';
import type { SyncEventStore } from './sync-event-store.js';

/** The storage ports, one per aggregate, over one database. */
export interface Stores {
  db: Db;
  accounts: AccountStore;
  presence: PresenceStore;
  membership: MembershipStore;
  conversations: ConversationStore;
  contacts: ContactStore;
  invites: InviteStore;
  /** Storing new messages: the send path. */
  sends: MessageSendStore;
  /** Reads of stored messages: lookups, history pages, mentions. */
  history: MessageHistoryStore;
  /** Edits, reactions and deletes of stored messages. */
  edits: MessageEditStore;
  /** Read/delivery positions and the expiry reads start. */
  receipts: ReceiptStore;
  files: FileStore;
  emailVerifications: EmailVerificationStore;
  /** Sessions (devices) and their endings. */
  sessions: SessionStore;
  /** Deleted accounts: the tombstone mark and the durable erase job. */
  deletions: AccountDeletionStore;
  /** The sync log behind `get sync` and every frame's cursor. */
  events: SyncEventStore;
}
