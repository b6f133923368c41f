import type { Static } from '@sinclair/typebox';
import { object, seq, str, uuidish } from './parts.js';

/** PROTOCOL §3.12. */
export const ReactSchema = object({ conv: uuidish, seq, emoji: str(64) });
export type ReactBody = Static<typeof ReactSchema>;
