import type { Static } from '@sinclair/typebox';
import { bool, object, str } from './parts.js';

/** PROTOCOL §3.1: client details recorded on the session; `notices` (mvchat) asks for `notice` frames. */
export const HiSchema = object({ ver: str(32), ua: str(255), dev: str(128), lang: str(16), notices: bool });
export type HiBody = Static<typeof HiSchema>;
