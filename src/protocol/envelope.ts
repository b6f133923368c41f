import type { ErrorName } from './errors.js';
import { isOpName, type OpName } from './op-names.js';

export const MAX_ID_LENGTH = 64;

export type Envelope = { ok: true; id: string | undefined; op: OpName; body: unknown };
export type EnvelopeError = { ok: false; id: string | undefined; error: ErrorName };

const utf8 = new TextDecoder('utf-8', { fatal: true });
// Finds a plausible `"id":"..."` so even a frame that is not valid JSON gets its id echoed.
// The alternatives never overlap, so this stays linear on a 64 KiB frame.
const ID_PATTERN = /"id"\s*:\s*("(?:[^"\\\n]|\\.)*")/;

/**
 * Reads the request id from text that failed to parse. Any non-empty JSON string
 * is echoed exactly, even one the envelope refuses (too long, a lone surrogate):
 * the client must be able to match the error to its request.
 */
export function salvageId(text: string): string | undefined {
  const m = ID_PATTERN.exec(text);
  if (!m?.[1]) return undefined;
  try {
    return echoId(JSON.parse(m[1]));
  } catch {
    return undefined;
  }
}

/** The id of a frame that is refused before it is parsed (rate limit): the top-level `id` when it is JSON, else salvaged. */
export function requestId(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return salvageId(text);
  }
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? echoId((parsed as Record<string, unknown>).id) : undefined;
}

/** What a reply echoes as `ctrl.id`: the id as sent when it is a non-empty string (§2.1: an empty id is no id). */
function echoId(id: unknown): string | undefined {
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

function usableId(id: string): boolean {
  return id.length > 0 && id.length <= MAX_ID_LENGTH && cleanString(id);
}

/** Text that PostgreSQL and every client accept: no NUL, no lone surrogates. */
export function cleanString(s: string): boolean {
  return !s.includes('\u0000') && s.isWellFormed();
}

function allStringsClean(value: unknown, depth = 0): boolean {
  if (depth > 32) return false;
  if (typeof value === 'string') return cleanString(value);
  if (Array.isArray(value)) return value.every((v) => allStringsClean(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (!cleanString(k) || !allStringsClean(v, depth + 1)) return false;
    }
  }
  return true;
}

/** Decodes a raw frame; binary frames must hold valid UTF-8 as well. */
export function frameText(raw: Buffer | string): string | null {
  if (typeof raw === 'string') return raw;
  try {
    return utf8.decode(raw);
  } catch {
    return null;
  }
}

/** PROTOCOL §2.1 steps 2–5, in that order. */
export function parseEnvelope(text: string): Envelope | EnvelopeError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, id: salvageId(text), error: 'malformed' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, id: undefined, error: 'malformed' };
  }
  const frame = parsed as Record<string, unknown>;
  const rawId = frame.id;
  const id = echoId(rawId);
  if (rawId !== undefined && rawId !== null && (typeof rawId !== 'string' || !(rawId.length === 0 || usableId(rawId)))) {
    return { ok: false, id, error: 'malformed' };
  }
  if (!allStringsClean(frame)) return { ok: false, id, error: 'malformed' };

  const ops: OpName[] = [];
  for (const key of Object.keys(frame)) {
    if (isOpName(key) && frame[key] !== null && frame[key] !== undefined) ops.push(key);
  }
  const op = ops[0];
  if (op === undefined) return { ok: false, id, error: 'missingType' };
  if (ops.length > 1) return { ok: false, id, error: 'multipleTypes' };
  if (id === undefined && op !== 'typing') return { ok: false, id: undefined, error: 'idRequired' };
  return { ok: true, id, op, body: frame[op] };
}
