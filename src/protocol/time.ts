// Many frames of one burst carry the same millisecond: the last one formatted is kept.
let lastMs = NaN;
let lastText = '';

/** RFC 3339 in UTC with trailing fractional zeros removed (PROTOCOL §0). */
export function formatTs(date: Date): string {
  const ms = date.getTime();
  if (ms === lastMs) return lastText;
  const iso = date.toISOString();
  lastMs = ms;
  lastText = iso.replace(/\.?0+Z$/, 'Z').replace(/\.Z$/, 'Z');
  return lastText;
}

export function nowTs(): string {
  return formatTs(new Date());
}
