import type { Static } from '@sinclair/typebox';
import { object, seq, uuidish } from './parts.js';

/** PROTOCOL §3.14. */
export const ReadSchema = object({ conv: uuidish, seq });
export type ReadBody = Static<typeof ReadSchema>;
