import type { ByteRange } from './file-storage.js';

/**
 * The single byte range a `Range` header asks for: null to serve the whole
 * file (no header, another unit, several ranges, or syntax we ignore as
 * RFC 9110 allows), 'unsatisfiable' for a range wholly past the end.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  const first = m[1] === '' ? null : Number(m[1]);
  const last = m[2] === '' ? null : Number(m[2]);
  if ((first !== null && !Number.isSafeInteger(first)) || (last !== null && !Number.isSafeInteger(last))) return null;
  if (first === null) {
    // Suffix range: the last N bytes.
    if (last === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - last!), end: size - 1 };
  }
  if (last !== null && last < first) return null;
  if (first >= size) return 'unsatisfiable';
  return { start: first, end: Math.min(last ?? size - 1, size - 1) };
}

export interface Validators {
  etag: string;
  lastModified: Date;
}

function etagMatches(list: string, etag: string, weak: boolean): boolean {
  if (list.trim() === '*') return true;
  const strip = (t: string) => (weak ? t.replace(/^W\//, '') : t);
  return list.split(',').some((t) => strip(t.trim()) === strip(etag));
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** Whether a GET/HEAD may be answered 304 (If-None-Match wins over If-Modified-Since). */
export function notModified(headers: { 'if-none-match'?: string | undefined; 'if-modified-since'?: string | undefined }, v: Validators): boolean {
  const inm = headers['if-none-match'];
  if (inm !== undefined) return etagMatches(inm, v.etag, true);
  const ims = headers['if-modified-since'];
  if (ims === undefined) return false;
  const since = Date.parse(ims);
  return Number.isFinite(since) && seconds(v.lastModified) <= Math.floor(since / 1000);
}

/** Whether a Range request's `If-Range` still matches, so the range applies. */
export function ifRangeHolds(ifRange: string | undefined, v: Validators): boolean {
  if (ifRange === undefined) return true;
  if (ifRange.startsWith('"') || ifRange.startsWith('W/')) return !ifRange.startsWith('W/') && ifRange === v.etag;
  const at = Date.parse(ifRange);
  return Number.isFinite(at) && seconds(v.lastModified) === Math.floor(at / 1000);
}
