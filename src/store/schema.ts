import type { ColumnType, Generated } from 'kysely';

/**
 * Table shapes (PROTOCOL §8 with our additions). Timestamps read back as Date
 * on PostgreSQL and as ISO text on SQLite, JSON as objects or text, booleans as
 * booleans or 0/1: row mappers normalize them through the dialect codec.
 */
type Ts = ColumnType<Date | string, Date | string, Date | string>;
type TsDefault = ColumnType<Date | string, Date | string | undefined, Date | string>;
type Bool = ColumnType<boolean | number, boolean | undefined, boolean>;
type Json = ColumnType<unknown, string | null, string | null>;

export interface UsersTable {
  id: string;
  created_at: TsDefault;
  updated_at: TsDefault;
  state: ColumnType<string, string | undefined, string>;
  state_at: Ts | null;
  public: Json | null;
  last_seen: Ts | null;
  user_agent: ColumnType<string, string | undefined, string>;
  must_change_password: Bool;
  email: string | null;
  email_verified: Bool;
  email_verification_token: string | null;
  email_verification_expires: Ts | null;
  lang: string | null;
  /** Added: who may see her presence: 'everyone', 'contacts' (those she added herself) or 'nobody'. */
  presence_privacy: ColumnType<string, string | undefined, string>;
  /** Added: whether others are told what she read. */
  read_receipts: Bool;
  /** Added: bumped on password change; tokens carrying an older epoch are refused. */
  token_epoch: ColumnType<number, number | undefined, number>;
  /** Added: lower-cased display name (public.fn) for portable case-insensitive search. */
  search_name: string | null;
  /** Added: the owner's private data (`desc.private`); never shown to anyone else. */
  private: Json | null;
  /** Added: tokens naming no session issued before this (Unix seconds) are refused (migration 009). */
  session_cutoff: ColumnType<number | string, number | undefined, number>;
}

export interface AuthTable {
  id: string;
  user_id: string;
  scheme: string;
  secret: string;
  uname: string | null;
  expires_at: Ts | null;
  created_at: TsDefault;
}

export interface ConversationsTable {
  id: string;
  created_at: TsDefault;
  updated_at: TsDefault;
  type: string;
  owner_id: string | null;
  public: Json | null;
  last_seq: ColumnType<number, number | undefined, number>;
  last_msg_at: Ts | null;
  del_id: ColumnType<number, number | undefined, number>;
  disappearing_ttl: number | null;
  pinned_message_id: string | null;
  pinned_at: Ts | null;
  pinned_by: string | null;
  no_screenshots: Bool;
  /** Raised by trigger on every change of membership or blocking (migration 007). */
  member_version: ColumnType<number, number | undefined, number>;
}

export interface DmParticipantsTable {
  conversation_id: string;
  user1_id: string;
  user2_id: string;
}

export interface MembersTable {
  conversation_id: string;
  user_id: string;
  created_at: TsDefault;
  updated_at: TsDefault;
  role: ColumnType<string, string | undefined, string>;
  read_seq: ColumnType<number, number | undefined, number>;
  recv_seq: ColumnType<number, number | undefined, number>;
  clear_seq: ColumnType<number, number | undefined, number>;
  favorite: Bool;
  muted: Bool;
  blocked: Bool;
  private: Json | null;
  deleted_at: Ts | null;
}

export interface MessagesTable {
  id: string;
  conversation_id: string;
  seq: number;
  from_user_id: string;
  created_at: TsDefault;
  updated_at: TsDefault;
  content: Buffer | null;
  head: Json | null;
  deleted_at: Ts | null;
  view_once: Bool;
  view_once_ttl: number | null;
  /** Added: which at-rest key encrypted `content` (NULL: written by the reference). */
  content_key_id: number | null;
  /** Added: client retry nonce for idempotent `send`. */
  nonce: string | null;
}

export interface MessageDeletionsTable {
  message_id: string;
  user_id: string;
  deleted_at: Ts;
}

export interface MessageReadsTable {
  message_id: string;
  user_id: string;
  read_at: Ts;
  expires_at: Ts | null;
  expired: Bool;
}

/** Added: who is mentioned in which message (replaces a JSON containment query). */
export interface MessageMentionsTable {
  message_id: string;
  user_id: string;
  conversation_id: string;
  created_at: Ts;
}

/** Added: which files a message references (file access control). */
export interface MessageFilesTable {
  message_id: string;
  file_id: string;
  conversation_id: string;
}

export interface FilesTable {
  id: string;
  uploader_id: string;
  created_at: TsDefault;
  updated_at: TsDefault;
  mime_type: string;
  size: number | string;
  original_name: string | null;
  location: string;
  hash: string | null;
  status: ColumnType<string, string | undefined, string>;
  deleted_at: Ts | null;
}

export interface FileMetadataTable {
  file_id: string;
  width: number | null;
  height: number | null;
  duration: number | null;
  thumbnail: string | null;
  extra: Json | null;
  created_at: TsDefault;
}

export interface InviteCodesTable {
  id: string;
  inviter_id: string;
  code: string;
  token: string;
  email: string;
  invitee_name: string | null;
  status: ColumnType<string, string | undefined, string>;
  used_at: Ts | null;
  used_by: string | null;
  created_at: TsDefault;
  expires_at: Ts;
}

export interface ContactsTable {
  user_id: string;
  contact_id: string;
  source: ColumnType<string, string | undefined, string>;
  nickname: string | null;
  invite_id: string | null;
  created_at: TsDefault;
  /** Added: the owner (`user_id`) added this contact herself; only such rows count for presence 'contacts'. */
  owner_added: Bool;
}

/** Added: sessions (devices), one per password login (migration 009). */
export interface SessionsTable {
  id: string;
  user_id: string;
  created_at: Ts;
  last_active: Ts;
  ua: string;
  device_id: string;
  lang: string;
  /** Masked (`203.0.113.x`); the full address is never stored. */
  ip: string;
  /** SHA-256 of the token naming no session that started this one. */
  legacy_key: string | null;
  ended_at: Ts | null;
}

/** Added (migration 011): the durable erase job of a deleted account. */
export interface AccountDeletionsTable {
  user_id: string;
  requested_at: Ts;
  /** Name of the last erase step done; NULL before the first. */
  last_step: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  lease_owner: string | null;
  lease_until: Ts | null;
  done_at: Ts | null;
}

/** Added (migration 012): the sync log; see the migration for why `pos` grows in commit order. */
export interface SyncEventsTable {
  pos: ColumnType<number, number | undefined, never>;
  conversation_id: string;
  /** NULL: a conversation event every member sees; set: only this user sees it. */
  user_id: string | null;
  kind: string;
  from_user: string;
  seq: number;
  subject: string | null;
  extra: string | null;
  created_at: Ts;
}

/** One row (id 1): PostgreSQL's position clock and the highest position pruned. */
export interface SyncStateTable {
  id: number;
  clock: number;
  floor: number;
}

export interface SchemaVersionTable {
  version: number;
  applied_at: TsDefault;
}

export interface Database {
  users: UsersTable;
  auth: AuthTable;
  conversations: ConversationsTable;
  dm_participants: DmParticipantsTable;
  members: MembersTable;
  messages: MessagesTable;
  message_deletions: MessageDeletionsTable;
  message_reads: MessageReadsTable;
  message_mentions: MessageMentionsTable;
  message_files: MessageFilesTable;
  files: FilesTable;
  file_metadata: FileMetadataTable;
  invite_codes: InviteCodesTable;
  contacts: ContactsTable;
  sessions: SessionsTable;
  schema_version: SchemaVersionTable;
  account_deletions: AccountDeletionsTable;
  sync_events: SyncEventsTable;
  sync_state: SyncStateTable;
}

export type { Generated };
