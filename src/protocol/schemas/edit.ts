import type { Static } from '@sinclair/typebox';
import { anyJson, object, seq, uuidish } from './parts.js';

/** PROTOCOL §3.9. */
export const EditSchema = object({ conv: uuidish, seq, content: anyJson });
export type EditBody = Static<typeof EditSchema>;
