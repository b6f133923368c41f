import type { Static } from '@sinclair/typebox';
import { MAX_INT, anyJson, bool, int, object, str, uuidish } from './parts.js';

/** PROTOCOL §3.7. */
export const SendSchema = object({
  conv: uuidish,
  content: anyJson,
  replyTo: int(-MAX_INT),
  viewOnce: bool,
  viewOnceTTL: int(-MAX_INT),
  /** Added: retry key; a resend with the same nonce answers the original seq and stores nothing. The envelope refuses NUL and broken surrogates. */
  nonce: str(64),
});
export type SendBody = Static<typeof SendSchema>;
