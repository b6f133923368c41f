import type { Static } from '@sinclair/typebox';
import { MAX_INT, anyJson, bool, int, object, str, uuidish } from './parts.js';

/** PROTOCOL §3.6: one `action` per request. */
export const RoomSchema = object({
  id: uuidish,
  action: str(32),
  user: uuidish,
  role: str(16),
  desc: object({ public: anyJson }),
  disappearingTTL: int(-MAX_INT),
  noScreenshots: bool,
});
export type RoomBody = Static<typeof RoomSchema>;
