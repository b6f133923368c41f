/** RFC 3339 in UTC with trailing fractional zeros removed (PROTOCOL §0). */
export function formatTs(date: Date): string {
  const iso = date.toISOString();
  return iso.replace(/\.?0+Z$/, 'Z').replace(/\.Z$/, 'Z');
}

export function nowTs(): string {
  return formatTs(new Date());
}
