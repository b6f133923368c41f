import { fail } from '../protocol/errors.js';
import type { Role } from '../store/membership-store.js';

/** Disappearing-message TTLs a conversation may have, in seconds (§5.5); 0 turns it off. */
export const CONVERSATION_TTLS: ReadonlySet<number> = new Set([0, 10, 30, 60, 300, 3600, 86400, 604800]);

/** Checks a requested TTL; returns the stored value (0 → null). */
export function conversationTtl(value: number): number | null {
  if (!CONVERSATION_TTLS.has(value)) fail('invalidTtl');
  return value === 0 ? null : value;
}

/** Owner and admin manage a room (§5.8). */
export function managesRoom(role: Role): boolean {
  return role === 'owner' || role === 'admin';
}
