// Irido message content (spec §6): validation of `send`/`edit` content and the
// `head.mentions` extraction of §5.1.
//
// The reference server validates nothing (§3.7 [defect]); this server enforces
// the format's own rules (§6.5) while accepting everything the SDK produces.
// `null` in an optional field means "not given" (§0), as the SDK may emit it.

import { graphemeLength, isStorableText, isWellFormed } from './graphemes.js';
import { parseUuid } from './uuid.js';

export { graphemeLength } from './graphemes.js';
export { plainText, preview, REPLY_PREVIEW_GRAPHEMES } from './derived-text.js';

/** One `head.mentions` entry; `username` omitted when empty, offsets when 0. */
export interface Mention {
  userId: string;
  username?: string;
  offset?: number;
  length?: number;
}

export type ContentCheck = { ok: true; mentions: Mention[]; fileRefs: string[] } | { ok: false; error: string };

export const MAX_MEDIA = 10;
export const MAX_MENTIONS = 50;
export const MEDIA_TYPES: readonly string[] = ['image', 'video', 'audio', 'file', 'embed'];

type Obj = Record<string, unknown>;

function isRecord(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Signals a validation failure; caught in checkContent, never escapes. */
class Invalid extends Error {}

function fail(what: string): never {
  throw new Invalid(`invalid content: ${what}`);
}

/** `obj[key]` with `null` folded into `undefined`. */
function opt(obj: Obj, key: string): unknown {
  const v = obj[key];
  return v === null ? undefined : v;
}

function checkMedia(raw: unknown, fileRefs: Set<string>): number {
  if (raw === undefined) return 0;
  if (!Array.isArray(raw)) fail('media must be an array');
  if (raw.length > MAX_MEDIA) fail(`too many media items (max ${MAX_MEDIA})`);
  raw.forEach((item: unknown, i) => {
    const at = `media[${i}]`;
    if (!isRecord(item)) fail(`${at} must be an object`);
    const type = item.type;
    if (typeof type !== 'string' || !MEDIA_TYPES.includes(type)) {
      fail(`${at}.type must be one of ${MEDIA_TYPES.join(', ')}`);
    }
    const ref = opt(item, 'ref');
    if (ref !== undefined) {
      if (typeof ref !== 'string') fail(`${at}.ref must be a string`);
      const id = parseUuid(ref);
      if (id !== null) fileRefs.add(id);
    }
    for (const key of ['size', 'width', 'height']) {
      const v = opt(item, key);
      if (v !== undefined && !isNonNegInt(v)) fail(`${at}.${key} must be a non-negative integer`);
    }
    const duration = opt(item, 'duration');
    if (duration !== undefined && !(typeof duration === 'number' && Number.isFinite(duration) && duration >= 0)) {
      fail(`${at}.duration must be a non-negative number`);
    }
    const embed = opt(item, 'embed');
    if (embed !== undefined && !(isRecord(embed) && typeof embed.url === 'string')) {
      fail(`${at}.embed.url must be a string`);
    }
  });
  return raw.length;
}

function checkMentions(raw: unknown, text: string): Mention[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) fail('mentions must be an array');
  if (raw.length === 0) return [];
  if (raw.length > MAX_MENTIONS) fail(`too many mentions (max ${MAX_MENTIONS})`);
  if (text === '') fail('mentions require text');
  const textLength = graphemeLength(text);
  return raw.map((item: unknown, i): Mention => {
    const at = `mentions[${i}]`;
    if (!isRecord(item)) fail(`${at} must be an object`);
    const userId = typeof item.userId === 'string' ? parseUuid(item.userId) : null;
    if (userId === null) fail(`${at}.userId must be a UUID`);
    const username = opt(item, 'username') ?? '';
    if (typeof username !== 'string') fail(`${at}.username must be a string`);
    // head.mentions is stored as jsonb, which refuses NUL and lone surrogates.
    if (!isStorableText(username)) fail(`${at}.username contains invalid characters`);
    const offset = opt(item, 'offset') ?? 0;
    const length = opt(item, 'length') ?? 0;
    if (!isNonNegInt(offset)) fail(`${at}.offset must be a non-negative integer`);
    if (!isNonNegInt(length)) fail(`${at}.length must be a non-negative integer`);
    if (offset + length > textLength) fail(`${at} is outside the text`);
    return normalizeMention(userId, username, offset, length);
  });
}

function normalizeMention(userId: string, username: string, offset: number, length: number): Mention {
  const m: Mention = { userId };
  if (username !== '') m.username = username;
  if (offset !== 0) m.offset = offset;
  if (length !== 0) m.length = length;
  return m;
}

function checkReply(raw: unknown): void {
  if (raw === undefined) return;
  if (!isRecord(raw)) fail('reply must be an object');
  const seq = opt(raw, 'seq');
  if (seq !== undefined && !(typeof seq === 'number' && Number.isSafeInteger(seq))) {
    fail('reply.seq must be an integer');
  }
  for (const key of ['preview', 'from']) {
    const v = opt(raw, key);
    if (v !== undefined && typeof v !== 'string') fail(`reply.${key} must be a string`);
  }
}

function checkObject(content: Obj): ContentCheck {
  if (content.v !== 1) fail('v must be 1');
  const text = opt(content, 'text') ?? '';
  if (typeof text !== 'string') fail('text must be a string');
  if (!isWellFormed(text)) fail('text contains invalid characters');
  const fileRefs = new Set<string>();
  const mediaCount = checkMedia(opt(content, 'media'), fileRefs);
  if (text === '' && mediaCount === 0) fail('text or media required');
  const mentions = checkMentions(opt(content, 'mentions'), text);
  checkReply(opt(content, 'reply'));
  return { ok: true, mentions, fileRefs: [...fileRefs] };
}

/**
 * Validates `send`/`edit` content (§6.5). On success returns the mentions as
 * they go into `head.mentions` (§5.1; empty array → store none) and the
 * distinct file ids referenced by `media[].ref`, canonical lowercase.
 * Error texts are safe to send to clients.
 */
export function checkContent(content: unknown): ContentCheck {
  try {
    if (typeof content === 'string') {
      // Library leniency: a plain string is `{v:1, text:<string>}`.
      if (content === '') fail('text or media required');
      if (!isWellFormed(content)) fail('text contains invalid characters');
      return { ok: true, mentions: [], fileRefs: [] };
    }
    if (!isRecord(content)) fail('must be an object');
    return checkObject(content);
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, error: err.message };
    throw err;
  }
}
