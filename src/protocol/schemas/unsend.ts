import type { Static } from '@sinclair/typebox';
import { object, seq, uuidish } from './parts.js';

/** PROTOCOL §3.10. */
export const UnsendSchema = object({ conv: uuidish, seq });
export type UnsendBody = Static<typeof UnsendSchema>;
