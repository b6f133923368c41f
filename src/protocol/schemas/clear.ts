import type { Static } from '@sinclair/typebox';
import { MAX_INT, int, object, uuidish } from './parts.js';

/** PROTOCOL §3.16. */
export const ClearSchema = object({ conv: uuidish, seq: int(-MAX_INT) });
export type ClearBody = Static<typeof ClearSchema>;
