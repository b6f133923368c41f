import type { Static } from '@sinclair/typebox';
import { object, seq, uuidish } from './parts.js';

/** PROTOCOL §3.15. */
export const RecvSchema = object({ conv: uuidish, seq });
export type RecvBody = Static<typeof RecvSchema>;
