import type { Static } from '@sinclair/typebox';
import { bool, object, seq, uuidish } from './parts.js';

/** PROTOCOL §3.11: for everyone or, by default, for me. */
export const DeleteSchema = object({ conv: uuidish, seq, forEveryone: bool });
export type DeleteBody = Static<typeof DeleteSchema>;
