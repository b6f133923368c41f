import type { Static } from '@sinclair/typebox';
import { object, uuidish } from './parts.js';

/** PROTOCOL §3.13. */
export const TypingSchema = object({ conv: uuidish });
export type TypingBody = Static<typeof TypingSchema>;
