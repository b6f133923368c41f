import type { Static } from '@sinclair/typebox';
import { bool, object, uuidish } from './parts.js';

/** mvchat addition: end this session (`{}`), one of hers (`session`) or all others (`others: true`). */
export const LogoutSchema = object({ session: uuidish, others: bool });
export type LogoutBody = Static<typeof LogoutSchema>;
