import type { Static } from '@sinclair/typebox';
import { anyJson, bool, object, str } from './parts.js';

/** PROTOCOL §3.3: sign-up (`user:"new"`) and own-account update (`user:"me"`). */
export const AccSchema = object({
  user: str(16),
  scheme: str(16),
  secret: str(8192),
  login: bool,
  desc: object({ public: anyJson, private: anyJson }),
  inviteCode: str(64),
  email: str(320),
  lang: str(64),
  /** Added: who sees her presence (`everyone`, `contacts`, `nobody`) and whether her reads are told. */
  privacy: object({ presence: str(16), readReceipts: bool }),
  /** Added: `acc me {delete:{password}}` erases the account. */
  delete: object({ password: str(8192) }),
});
export type AccBody = Static<typeof AccSchema>;
