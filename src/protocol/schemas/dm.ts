import type { Static } from '@sinclair/typebox';
import { MAX_INT, anyJson, bool, int, object, uuidish } from './parts.js';

/** PROTOCOL §3.5: start a DM (`user`) or change a conversation's settings (`conv`). */
export const DmSchema = object({
  user: uuidish,
  conv: uuidish,
  favorite: bool,
  muted: bool,
  blocked: bool,
  private: anyJson,
  disappearingTTL: int(-MAX_INT),
});
export type DmBody = Static<typeof DmSchema>;
