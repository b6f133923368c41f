import { OpError } from './op-error.js';

/**
 * Every error a client can receive, with its code and exact text
 * (PROTOCOL §2–§3; texts are part of the wire format). Additions beyond the
 * reference are marked and documented in docs/protocol-notes.md.
 */
export const Errors = {
  // envelope (§2.1) and shared (§2.4)
  rateLimited: [429, 'rate limited'],
  malformed: [400, 'malformed message'],
  missingType: [400, 'missing message type'],
  multipleTypes: [400, 'exactly one message type required'],
  idRequired: [400, 'message id required'],
  authRequired: [401, 'authentication required'],
  invalidConvId: [400, 'invalid conv id'],
  invalidUserId: [400, 'invalid user id'],
  invalidRoomId: [400, 'invalid room id'],
  notMember: [403, 'not a member'],
  databaseError: [500, 'database error'],
  internalError: [500, 'internal error'],
  /** Added: a storage backend is unreachable (PostgreSQL down). */
  unavailable: [503, 'service unavailable'],
  /** Added: login/sign-up throttle (§7.5 fix). */
  tooManyAttempts: [429, 'too many attempts'],
  /** Added: content that breaks the Irido rules or our limits; text is refined per case. */
  invalidContent: [400, 'invalid content'],
  // login (§3.2)
  invalidSecretEncoding: [400, 'invalid secret encoding'],
  invalidSecretFormat: [400, 'invalid secret format'],
  invalidCredentials: [401, 'invalid credentials'],
  userNotFoundLogin: [500, 'user not found'],
  tokenFailed: [500, 'failed to generate token'],
  invalidToken: [401, 'invalid token'],
  tokenExpired: [401, 'token expired'],
  tokenUserNotFound: [401, 'user not found'],
  unknownScheme: [400, 'unknown auth scheme'],
  /** Added: suspended accounts are refused (§12 item 15). */
  accountSuspended: [403, 'account suspended'],
  // acc (§3.3)
  invalidUserField: [400, 'invalid user field'],
  onlyBasic: [400, 'only basic auth supported for account creation'],
  usernameTooShort: [400, 'username too short'],
  /** Added: the reference failed with 500 on names over 64 characters. */
  usernameTooLong: [400, 'username too long'],
  passwordTooShort: [400, 'password too short'],
  /** Added: bound on password length so hashing cannot be abused. */
  passwordTooLong: [400, 'password too long'],
  usernameTaken: [409, 'username already taken'],
  createUserFailed: [500, 'failed to create user'],
  hashFailed: [500, 'failed to hash password'],
  createAuthFailed: [500, 'failed to create auth record'],
  updateProfileFailed: [500, 'failed to update profile'],
  newPasswordTooShort: [400, 'new password too short'],
  authRecordNotFound: [404, 'auth record not found'],
  incorrectPassword: [403, 'incorrect current password'],
  updatePasswordFailed: [500, 'failed to update password'],
  updateEmailFailed: [500, 'failed to update email'],
  /** Added: e-mail format check on `acc me`. */
  invalidEmail: [400, 'invalid email address'],
  /** Added: the address belongs to another account (the reference answered 500). */
  emailTaken: [409, 'email already in use'],
  updateLangFailed: [500, 'failed to update language'],
  /** Added: lang over 10 characters (the reference answered 500). */
  invalidLang: [400, 'invalid language'],
  /** Added: `acc me {privacy:{presence}}` other than everyone, contacts or nobody. */
  invalidPrivacy: [400, 'invalid privacy setting'],
  // search (§3.4)
  missingQuery: [400, 'missing search query'],
  searchFailed: [500, 'search failed'],
  // dm (§3.5)
  missingUserOrConv: [400, 'missing user or conv'],
  cannotDmYourself: [400, 'cannot DM yourself'],
  userNotFound: [404, 'user not found'],
  createDmFailed: [500, 'failed to create dm'],
  invalidTtl: [400, 'invalid TTL value'],
  updateTtlFailed: [500, 'failed to update disappearing TTL'],
  updateFailed: [500, 'failed to update'],
  /** Added: DM-only settings on a room (§12 item 3). */
  notADm: [400, 'not a direct conversation'],
  // room (§3.6)
  unknownRoomAction: [400, 'unknown room action'],
  createRoomFailed: [500, 'failed to create room'],
  onlyOwnerAdminInvite: [403, 'only owner or admin can invite'],
  addMemberFailed: [500, 'failed to add member'],
  ownerCannotLeave: [403, 'owner cannot leave room'],
  leaveFailed: [500, 'failed to leave room'],
  onlyOwnerAdminKick: [403, 'only owner or admin can kick'],
  userNotMember: [404, 'user not a member'],
  cannotKickOwner: [403, 'cannot kick owner'],
  adminCannotKickAdmin: [403, 'admin cannot kick admin'],
  kickFailed: [500, 'failed to kick member'],
  onlyOwnerAdminUpdate: [403, 'only owner or admin can update'],
  updateNoScreenshotsFailed: [500, 'failed to update no-screenshots'],
  updateRoomFailed: [500, 'failed to update room'],
  /** Added: room-only actions on a DM (§12 item 3). */
  notARoom: [400, 'not a room'],
  /** Added: role changes (owner only). */
  onlyOwnerRoles: [403, 'only owner can change roles'],
  /** Added: `room role` with a role other than admin or member. */
  invalidRole: [400, 'invalid role'],
  /** Added: `room role` aimed at the owner (ownership cannot be given away). */
  cannotChangeOwnerRole: [403, 'cannot change owner role'],
  /** Added: `room role` failed in storage. */
  changeRoleFailed: [500, 'failed to change role'],
  // send (§3.7)
  missingSendData: [400, 'missing send data'],
  conversationNotFound: [404, 'conversation not found'],
  blocked: [403, 'blocked'],
  /** Added: `send` into a DM whose other participant deleted her account. */
  peerDeleted: [403, 'account deleted'],
  invalidViewOnceTtl: [400, 'invalid view-once TTL'],
  /** Added: `send`/`edit` citing a file (`media[].ref`) the sender may not read, or that does not exist. */
  fileNotFound: [404, 'file not found'],
  encryptionFailed: [500, 'encryption failed'],
  sendFailed: [500, 'failed to send'],
  // get (§3.8)
  unknownWhat: [400, 'unknown what'],
  getConversationsFailed: [500, 'failed to get conversations'],
  missingConvId: [400, 'missing conv id'],
  missingConv: [400, 'missing conv'],
  getMessagesFailed: [500, 'failed to get messages'],
  getMembersFailed: [500, 'failed to get members'],
  getReceiptsFailed: [500, 'failed to get receipts'],
  getContactsFailed: [500, 'failed to get contacts'],
  missingUserId: [400, 'missing user id'],
  getMentionsFailed: [500, 'failed to get mentions'],
  /** Added: `get sync` with a `since` that is not a cursor this server gave out. */
  invalidCursor: [400, 'invalid cursor'],
  /** Added: `get sync` failed in storage. */
  syncFailed: [500, 'failed to sync'],
  // logout (mvchat addition)
  /** Added: `logout {session}` naming a session that is not hers, unknown or already ended. */
  sessionNotFound: [404, 'session not found'],
  // edit / unsend / delete / react (§3.9–3.12)
  missingEditData: [400, 'missing edit data'],
  messageNotFound: [404, 'message not found'],
  notYourMessage: [403, 'not your message'],
  editWindowExpired: [403, 'edit window expired'],
  maxEditsReached: [403, 'max edits reached'],
  editFailed: [500, 'failed to edit'],
  missingUnsendData: [400, 'missing unsend data'],
  unsendWindowExpired: [403, 'unsend window expired'],
  unsendFailed: [500, 'failed to unsend'],
  missingDeleteData: [400, 'missing delete data'],
  deleteFailed: [500, 'failed to delete'],
  missingReactData: [400, 'missing react data'],
  reactFailed: [500, 'failed to react'],
  // typing / read / recv / clear (§3.13–3.16)
  missingTypingData: [400, 'missing typing data'],
  missingReadData: [400, 'missing read data'],
  missingRecvData: [400, 'missing recv data'],
  missingClearData: [400, 'missing clear data'],
  // invite (§3.17)
  invalidInviteRequest: [400, 'invalid invite request'],
  getUserInfoFailed: [500, 'failed to get user info'],
  generateInviteFailed: [500, 'failed to generate invite code'],
  createInviteFailed: [500, 'failed to create invite'],
  getInvitesFailed: [500, 'failed to get invites'],
  invalidInviteId: [400, 'invalid invite id'],
  inviteNotFoundOrUsed: [404, 'invite not found or already used'],
  invalidInviteCode: [404, 'invalid invite code'],
  inviteCodeExpired: [404, 'invite code expired'],
  inviteAlreadyUsed: [404, 'invite already used or expired'],
  redeemFailed: [500, 'failed to redeem invite'],
  createConversationFailed: [500, 'failed to create conversation'],
  /** Added: an inviter redeeming their own invite. */
  ownInvite: [400, 'cannot redeem your own invite'],
  /** Added: the redeemer's account e-mail differs from the invite's (§12 item 12). */
  inviteForOtherEmail: [403, 'invite is for another email address'],
  /** Added: invitee name over 128 characters (the reference answered 500). */
  inviteNameTooLong: [400, 'invite name too long'],
  /** Added: per-user invite creation limit (MVCHAT_INVITE_RATE per hour). */
  tooManyInvites: [429, 'too many invites'],
  // contact (§3.18)
  invalidContactRequest: [400, 'invalid contact request'],
  cannotAddYourself: [400, 'cannot add yourself as contact'],
  addContactFailed: [500, 'failed to add contact'],
  removeContactFailed: [500, 'failed to remove contact'],
  updateNicknameFailed: [500, 'failed to update nickname'],
  /** Added: nickname over 64 characters (the reference answered 500). */
  nicknameTooLong: [400, 'nickname too long'],
  // pin (§3.19)
  missingPinData: [400, 'missing pin data'],
  onlyOwnerAdminPin: [403, 'only owner or admin can pin'],
  unpinFailed: [500, 'failed to unpin'],
  pinFailed: [500, 'failed to pin'],
} as const satisfies Record<string, readonly [number, string]>;

export type ErrorName = keyof typeof Errors;

/** Throws the catalog error `name`; `text` may refine an `invalidContent`-style message. */
export function fail(name: ErrorName, text?: string): never {
  const [code, base] = Errors[name];
  throw new OpError(code, text ?? base);
}
