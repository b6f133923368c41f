import type { Static } from '@sinclair/typebox';
import { MAX_INT, int, object, str } from './parts.js';

/** PROTOCOL §3.4; an out-of-range limit falls back to the default in the handler. */
export const SearchSchema = object({ query: str(256), limit: int(-MAX_INT) });
export type SearchBody = Static<typeof SearchSchema>;
