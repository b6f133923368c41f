/**
 * Frame shapes of the protocol (PROTOCOL §2). Only the envelope is typed
 * closely; bodies stay open records because each op has its own fields.
 */

/** A client frame: `{id, <op>: body}`; `id` is optional only for `typing`. */
export type ClientFrame = { id?: string } & Record<string, unknown>;

/** The reply to one client frame. */
export interface Ctrl {
  /** Echo of the request id; absent when the request had no usable id. */
  id?: string;
  code: number;
  text: string;
  /** Result data; never present on errors. */
  params?: Record<string, unknown>;
  ts: string;
}

/** A new message in a conversation. */
export interface Data {
  conv: string;
  seq: number;
  from: string;
  content: unknown;
  head?: Record<string, unknown>;
  ts: string;
  /** Where this event sits in the sync log: keep the newest one applied, and `catchUp` from it after a reconnect. */
  cursor?: string;
  /** In a sync replay: the message was unsent or deleted for everyone (no `content`). */
  deleted?: boolean;
}

/** An event about a conversation; `what` names the kind (PROTOCOL §4.2). */
export interface Info {
  conv: string;
  from: string;
  what: string;
  seq?: number;
  content?: unknown;
  emoji?: string;
  user?: string;
  ttl?: number;
  /** `react`: whether `from` has this reaction now. */
  added?: boolean;
  ts: string;
  /** Every kind but `typing` (see Data.cursor). */
  cursor?: string;
}

/** A presence change. */
export interface Pres {
  user: string;
  what: 'on' | 'off';
  lastSeen?: string;
}

/**
 * Any frame the server sends. Exactly one known key is set in practice; the
 * index signature keeps frames of kinds this client does not know yet (`meta`, ...).
 */
export interface ServerFrame {
  ctrl?: Ctrl;
  data?: Data;
  info?: Info;
  pres?: Pres;
  [kind: string]: unknown;
}

/** Success as clients must read it: `200 <= code < 400` (PROTOCOL §2.2). */
export function isSuccess(ctrl: Pick<Ctrl, 'code'>): boolean {
  return ctrl.code >= 200 && ctrl.code < 400;
}

/** Parses one text frame; undefined when it is not a JSON object. */
export function parseServerFrame(text: string): ServerFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as ServerFrame) : undefined;
}
