import type { Static } from '@sinclair/typebox';
import { object, str } from './parts.js';

/** PROTOCOL §3.2: `basic` or `token`. */
export const LoginSchema = object({ scheme: str(16), secret: str(8192) });
export type LoginBody = Static<typeof LoginSchema>;
