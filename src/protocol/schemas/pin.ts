import type { Static } from '@sinclair/typebox';
import { MAX_INT, int, object, uuidish } from './parts.js';

/** PROTOCOL §3.19: `seq` 0 (or none) unpins. */
export const PinSchema = object({ conv: uuidish, seq: int(-MAX_INT) });
export type PinBody = Static<typeof PinSchema>;
