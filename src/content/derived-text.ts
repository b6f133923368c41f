// Derived text of Irido content (spec §6.6), for notifications and previews.
// These accept any stored content, valid or not, and never throw.

import { cutGraphemes } from './graphemes.js';

/** Reply previews in Irido `reply.preview` are cut to this many graphemes. */
export const REPLY_PREVIEW_GRAPHEMES = 50;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonEmptyString(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

const TYPE_LABELS: Readonly<Record<string, string>> = {
  image: 'IMAGE',
  video: 'VIDEO',
  audio: 'AUDIO',
  file: 'FILE',
  embed: 'LINK',
};

/** `[TYPE 'name']` for one media item. */
function mediaToken(item: unknown): string {
  const m = isRecord(item) ? item : {};
  const type = typeof m.type === 'string' ? m.type : '';
  const label = Object.hasOwn(TYPE_LABELS, type) ? TYPE_LABELS[type] : type.toUpperCase();
  const embed = isRecord(m.embed) ? m.embed : {};
  const name = nonEmptyString(m.name) ?? nonEmptyString(embed.title) ?? nonEmptyString(embed.url) ?? 'attachment';
  return `[${label || 'FILE'} '${name}']`;
}

/** Text and media of content; a plain string counts as `{v:1, text}`. */
function parts(content: unknown): { text: string; media: unknown[] } {
  if (typeof content === 'string') return { text: content, media: [] };
  if (!isRecord(content)) return { text: '', media: [] };
  return {
    text: typeof content.text === 'string' ? content.text : '',
    media: Array.isArray(content.media) ? content.media : [],
  };
}

/** `text` followed by one `[TYPE 'name']` token per media item, trimmed. */
export function plainText(content: unknown): string {
  const { text, media } = parts(content);
  return [text, ...media.map(mediaToken)].join(' ').trim();
}

/**
 * The text cut to `graphemes` clusters plus `…` when longer; without text, the
 * first media token; otherwise the empty string.
 */
export function preview(content: unknown, graphemes: number): string {
  const { text, media } = parts(content);
  if (text !== '') {
    const cut = cutGraphemes(text, graphemes);
    return cut.cut ? `${cut.text}…` : cut.text;
  }
  return media.length > 0 ? mediaToken(media[0]) : '';
}
