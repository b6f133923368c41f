// Extended grapheme cluster helpers. Mention offsets/lengths and previews count
// grapheme clusters (spec §6.4), so "👋🏽" or "e\u0301" is one unit.

// Constructing a Segmenter is costly; one instance is reused. The locale does
// not change grapheme boundaries.
const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export function graphemeLength(s: string): number {
  let n = 0;
  // Iterating avoids materialising an array of segments for long texts.
  for (const _ of segmenter.segment(s)) n++;
  return n;
}

/** The first `max` grapheme clusters of `s` and whether anything was cut. */
export function cutGraphemes(s: string, max: number): { text: string; cut: boolean } {
  const limit = Number.isNaN(max) ? 0 : Math.max(0, Math.floor(max));
  let n = 0;
  for (const seg of segmenter.segment(s)) {
    if (n === limit) return { text: s.slice(0, seg.index), cut: true };
    n++;
  }
  return { text: s, cut: false };
}

// A high surrogate not followed by a low one, or a low one not preceded by a
// high one. Such strings cannot be encoded as UTF-8, and PostgreSQL refuses
// them in jsonb (DEFECTS #17, #19). Without the `u` flag the regex works on
// UTF-16 code units, which is what is needed here.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/** Well-formed and free of NUL: safe to store in a text or jsonb column. */
export function isStorableText(s: string): boolean {
  return !s.includes('\u0000') && isWellFormed(s);
}
