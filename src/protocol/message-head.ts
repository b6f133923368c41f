import type { Mention } from '../content/irido.js';

/**
 * Message metadata stored in clear next to the encrypted content (PROTOCOL
 * §5.1). Unknown keys from rows written by the reference are kept as they are.
 */
export interface MessageHead {
  reply_to?: number;
  view_once?: true;
  view_once_ttl?: number;
  mentions?: Mention[];
  reactions?: Record<string, string[]>;
  edit_count?: number;
  edited_at?: string;
  unsent?: true;
  [key: string]: unknown;
}

/** Seconds allowed for view-once and disappearing TTLs (§5.5). */
export const ALLOWED_TTLS: readonly number[] = [10, 30, 60, 300, 3600, 86400, 604800];
export const DEFAULT_VIEW_ONCE_TTL = 10;
export const EDIT_WINDOW_MS = 15 * 60_000;
export const MAX_EDITS = 10;
export const UNSEND_WINDOW_MS = 5 * 60_000;

export interface SendOptions {
  replyTo?: number | undefined;
  viewOnce?: boolean | undefined;
  viewOnceTtl?: number | undefined;
  mentions: Mention[];
}

/** The head a new message starts with: only what exists at send time. */
export function sendHead(o: SendOptions): MessageHead {
  const head: MessageHead = {};
  if (o.replyTo !== undefined && o.replyTo > 0) head.reply_to = o.replyTo;
  if (o.viewOnce) {
    head.view_once = true;
    if (o.viewOnceTtl !== undefined && o.viewOnceTtl > 0) head.view_once_ttl = o.viewOnceTtl;
  }
  if (o.mentions.length > 0) head.mentions = o.mentions;
  return head;
}

/**
 * Adds `userId` under `emoji` or removes it; empty lists and an empty map
 * disappear (§3.12). The emoji is user text: the map has no prototype, so
 * `__proto__`, `constructor` or `toString` are keys like any other.
 */
export function toggleReaction(head: MessageHead, emoji: string, userId: string): MessageHead {
  const reactions: Record<string, string[]> = Object.create(null);
  if (isReactionMap(head.reactions)) for (const [k, v] of Object.entries(head.reactions)) reactions[k] = v;
  const stored = Object.hasOwn(reactions, emoji) ? reactions[emoji] : undefined;
  const users = Array.isArray(stored) ? stored : [];
  const next = users.includes(userId) ? users.filter((u) => u !== userId) : [...users, userId];
  if (next.length > 0) reactions[emoji] = next;
  else delete reactions[emoji];
  const { reactions: _old, ...rest } = head;
  return Object.keys(reactions).length > 0 ? { ...rest, reactions } : rest;
}

/** Whether `userId` has reacted with `emoji` in this head. */
export function hasReaction(head: MessageHead, emoji: string, userId: string): boolean {
  if (!isReactionMap(head.reactions) || !Object.hasOwn(head.reactions, emoji)) return false;
  const users = head.reactions[emoji];
  return Array.isArray(users) && users.includes(userId);
}

/** The head after one more edit, with the mentions of the new content. */
export function editedHead(head: MessageHead, mentions: Mention[], editedAt: string): MessageHead {
  const { mentions: _old, ...rest } = head;
  const next: MessageHead = { ...rest, edit_count: editCount(head) + 1, edited_at: editedAt };
  if (mentions.length > 0) next.mentions = mentions;
  return next;
}

export function editCount(head: MessageHead): number {
  return typeof head.edit_count === 'number' ? head.edit_count : 0;
}

/** Normalizes a stored head (JSON object, null or anything odd) to an object. */
export function asHead(v: unknown): MessageHead {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as MessageHead) : {};
}

function isReactionMap(v: unknown): v is Record<string, string[]> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
