import type { Static } from '@sinclair/typebox';
import { object, str, uuidish } from './parts.js';

/** PROTOCOL §3.18: add, remove, or nickname (user + nickname). */
export const ContactSchema = object({ add: uuidish, remove: uuidish, user: uuidish, nickname: str(1024) });
export type ContactBody = Static<typeof ContactSchema>;
