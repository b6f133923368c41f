import type { Static } from '@sinclair/typebox';
import { bool, object, str, uuidish } from './parts.js';

/** PROTOCOL §3.17: one sub-action, in the precedence create, list, revoke, redeem. */
export const InviteSchema = object({
  create: object({ email: str(512), name: str(512) }),
  list: bool,
  revoke: uuidish,
  redeem: str(64),
});
export type InviteBody = Static<typeof InviteSchema>;
