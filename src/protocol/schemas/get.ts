import type { Static } from '@sinclair/typebox';
import { MAX_INT, int, object, str, uuidish } from './parts.js';

/** PROTOCOL §3.8: one body for every `what`; each reader uses the fields it needs. */
export const GetSchema = object({
  what: str(32),
  conv: uuidish,
  user: uuidish,
  before: int(-MAX_INT),
  after: int(-MAX_INT),
  limit: int(-MAX_INT),
  /** `what:"sync"` (mvchat addition): the cursor to continue from. */
  since: str(64),
});
export type GetBody = Static<typeof GetSchema>;
