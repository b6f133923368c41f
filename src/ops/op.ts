import type { TSchema } from '@sinclair/typebox';
import type { Params } from '../protocol/frames.js';
import type { OpName } from '../protocol/op-names.js';
import type { ErrorName } from '../protocol/errors.js';
import type { Deps } from '../runtime/deps.js';
import type { Logger } from '../logger.js';

/** Client details a session learns from `hi` (PROTOCOL §3.1). */
export interface ClientInfo {
  ver: string;
  ua: string;
  dev: string;
  lang: string;
  /** The client takes `notice` frames (mvchat addition). */
  notices: boolean;
}

/** The op asking to change its session: once it has `expired` (handler deadline) it may not. */
export interface OpLease {
  readonly expired: boolean;
}

/** What an op may see and change of the session that sent it. */
export interface OpSession {
  readonly id: string;
  readonly userId: string | null;
  readonly client: Readonly<ClientInfo>;
  readonly remoteAddress: string;
  /** The session (device login) the socket is signed in under; undefined when signed out. */
  readonly group: string | undefined;
  /** Records client details; ignored when `op` has expired. */
  setClientInfo(info: Partial<ClientInfo>, op: OpLease): void;
  /**
   * Moves the session to `userId` (login, sign-up); the only way identity changes.
   * `group` is her login session (device); the socket is closed at `groupEndsAt` (its absolute lifetime).
   * False, and nothing changes, when the session is closed or `op` has expired.
   */
  bindUser(userId: string, op: OpLease, group?: string, groupEndsAt?: Date): Promise<boolean>;
  /**
   * Signs the socket out (it stays open; the sign-in timeout starts again).
   * False, and nothing changes, when the session is closed or `op` has expired.
   */
  unbindUser(op: OpLease): Promise<boolean>;
  /** Closes the socket with a WebSocket close code. */
  close(code: number): void;
  /** Per-conversation caps on cheap, chatty ops: false when this one comes too soon after the last. */
  allowTyping(conv: string): boolean;
  allowReceipt(conv: string): boolean;
}

/** What the dispatcher needs of a session besides what an op sees; the session implements it. */
export interface DispatchSession extends OpSession {
  readonly log: Logger;
  readonly bucket: { take(tokens: number): boolean };
  /** Counts a refusal towards flooding. */
  strike(): void;
  send(frame: string | Buffer): void;
  /** When this socket last recorded its session's activity (ms since the epoch); the dispatcher keeps it. */
  activityMark: number;
}

export interface OpContext extends OpLease {
  readonly id: string | undefined;
  readonly session: OpSession;
  readonly deps: Deps;
  readonly log: Logger;
}

/** Context of an op that requires login: the dispatcher guarantees `userId`. */
export interface UserOpContext extends OpContext {
  readonly userId: string;
}

/**
 * A handler's answer. `after` runs once the reply is queued: notifications
 * caused by a request reach others after the requester's `ctrl` (§1.2).
 * `null` means no reply (a successful `typing`).
 */
export type OpResult = { code: number; params?: Params; after?: () => void | Promise<void> } | null;

export type AuthNeed = 'none' | 'user';

interface OpCommon<B> {
  name: OpName;
  /**
   * JSON Schema of the op's body (from protocol/schemas); checked before the
   * handler runs, so its static type must be the body the handler takes.
   */
  schema: TSchema & { static: B };
  /** Rate-limit tokens one request costs (the session bucket refills MVCHAT_FRAME_RATE per second). */
  cost: number;
  /** Error answered when the handler fails unexpectedly (a bug or a backend fault). */
  failure: ErrorName;
  /** For body-dependent auth (`acc` with user:"new"): overrides `auth` when it returns a value. */
  authFor?: (body: B) => AuthNeed;
}

export interface PublicOp<B> extends OpCommon<B> {
  auth: 'none';
  handle(ctx: OpContext, body: B): Promise<OpResult>;
}

export interface UserOp<B> extends OpCommon<B> {
  auth: 'user';
  handle(ctx: UserOpContext, body: B): Promise<OpResult>;
}

export type OpDefinition<B = any> = PublicOp<B> | UserOp<B>;

export function ok(params?: Params, after?: () => void | Promise<void>): OpResult {
  return { code: 200, ...(params ? { params } : {}), ...(after ? { after } : {}) };
}

export function created(params?: Params, after?: () => void | Promise<void>): OpResult {
  return { code: 201, ...(params ? { params } : {}), ...(after ? { after } : {}) };
}
