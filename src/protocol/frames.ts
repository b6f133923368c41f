import { formatTs } from './time.js';

/**
 * Builders for server frames (PROTOCOL §2.2). Each returns the wire text,
 * including the trailing newline, so a frame is serialized exactly once no
 * matter how many sessions receive it.
 */
export type Params = Record<string, unknown>;

export interface DataFrame {
  conv: string;
  seq: number;
  from: string;
  content: unknown;
  head?: Record<string, unknown> | undefined;
  ts: string;
  /** Where this event sits in the sync log (mvchat addition). */
  cursor?: string | undefined;
}

export interface InfoFrame {
  conv: string;
  from: string;
  what: string;
  seq?: number | undefined;
  content?: unknown;
  emoji?: string | undefined;
  user?: string | undefined;
  ttl?: number | undefined;
  /** `react` only: whether `from` now has this reaction (mvchat addition: a replay cannot flip it). */
  added?: boolean | undefined;
  ts: string;
  cursor?: string | undefined;
}

export interface PresFrame {
  user: string;
  what: 'on' | 'off';
  lastSeen?: string | undefined;
}

export function ctrlFrame(id: string | undefined, code: number, text: string, params?: Params): string {
  const ctrl: Record<string, unknown> = {};
  if (id) ctrl.id = id;
  ctrl.code = code;
  ctrl.text = text;
  if (params && code < 400 && Object.keys(params).length > 0) ctrl.params = params;
  ctrl.ts = formatTs(new Date());
  return JSON.stringify({ ctrl }) + '\n';
}

export function dataFrame(data: DataFrame): string {
  return JSON.stringify({ data: dataBody(data) }) + '\n';
}

/** The object inside a `data` frame (a sync replay lists these frames as objects). */
export function dataBody(data: DataFrame): Record<string, unknown> {
  const { head, cursor, ...rest } = data;
  const body: Record<string, unknown> = head && Object.keys(head).length > 0 ? { ...rest, head } : rest;
  if (cursor) body.cursor = cursor;
  return body;
}

export function infoFrame(info: InfoFrame): string {
  return JSON.stringify({ info: infoBody(info) }) + '\n';
}

/** The object inside an `info` frame. */
export function infoBody(info: InfoFrame): Record<string, unknown> {
  // Optional keys are omitted when empty (§2.2): seq 0, empty emoji/user, no ttl.
  const out: Record<string, unknown> = { conv: info.conv, from: info.from, what: info.what };
  if (info.seq) out.seq = info.seq;
  if (info.content !== undefined) out.content = info.content;
  if (info.emoji) out.emoji = info.emoji;
  if (info.added !== undefined) out.added = info.added;
  if (info.user) out.user = info.user;
  if (info.ttl) out.ttl = info.ttl;
  out.ts = info.ts;
  if (info.cursor) out.cursor = info.cursor;
  return out;
}

export function presFrame(pres: PresFrame): string {
  const out: Record<string, unknown> = { user: pres.user, what: pres.what };
  if (pres.what === 'off' && pres.lastSeen) out.lastSeen = pres.lastSeen;
  return JSON.stringify({ pres: out }) + '\n';
}

/** An account notice (mvchat addition): only sessions whose `hi` asked for `notices` get one. */
export interface NoticeFrame {
  what: string;
  ts: string;
  [key: string]: unknown;
}

export function noticeFrame(notice: NoticeFrame): string {
  return JSON.stringify({ notice }) + '\n';
}
