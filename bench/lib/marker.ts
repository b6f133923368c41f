/**
 * Every benchmark message carries `b|<phase>|<sent-at µs>` as its text, so a
 * receiver in another process can time it without parsing the whole frame.
 * All processes run on one machine and read the same wall clock.
 */
const PREFIX = '"text":"b|';

export function nowUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

export function markerText(phase: number): string {
  return `b|${phase}|${nowUs()}`;
}

/** Finds the marker in a raw server frame; null when the frame is not a benchmark message. */
export function readMarker(frame: string): { phase: number; sentUs: number } | null {
  const at = frame.indexOf(PREFIX);
  if (at < 0) return null;
  return parseText(frame.slice(at + PREFIX.length - 2, frame.indexOf('"', at + PREFIX.length)));
}

/** Parses `b|phase|µs`. */
export function parseText(text: string): { phase: number; sentUs: number } | null {
  const parts = text.split('|');
  if (parts.length !== 3 || parts[0] !== 'b') return null;
  return { phase: Number(parts[1]), sentUs: Number(parts[2]) };
}
