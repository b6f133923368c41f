import { randomUUID } from 'node:crypto';
import { CloseCode, CloseReason } from '../protocol/close-codes.js';
import type { ClientInfo, DispatchSession, OpLease } from '../ops/op.js';
import type { Logger } from '../logger.js';
import type { SocketLike } from './socket.js';
import { holdWritesThisTurn } from './write-batch.js';
import { KeyedBuckets, KeyedInterval, TokenBucket } from './token-bucket.js';

export interface SessionLimits {
  frameRate: number;
  authTimeoutMs: number;
  outboundSoftLimit: number;
  outboundHardLimit: number;
}

/** Handles what the peer sends: the op dispatcher. */
export interface FrameHandler {
  handleFrame(session: Session, raw: Buffer | string): Promise<void>;
  /** The frame was refused by the per-session bucket before parsing. */
  rejectFrame(session: Session, raw: Buffer | string): void;
}

/** Keeps indexes, presence and counters in step with a session: the session lifecycle. */
export interface SessionEvents {
  userChanged(session: Session, from: string | null, to: string | null): Promise<void>;
  closed(session: Session, userId: string | null): void;
  slowConsumer?(session: Session): void;
  frameSent?(): void;
}

/** The two parts a session calls out to. */
export interface SessionParts {
  frames: FrameHandler;
  events: SessionEvents;
}

/** Frames a session may still queue before it is treated as flooding. */
const MAX_PENDING_FRAMES = 256;

/**
 * One WebSocket connection: identity, inbound order, rate limit and the
 * outbound byte budget. Identity changes only through `bindUser`; frames are
 * handled strictly one at a time in arrival order (DEFECTS 1).
 */
export class Session implements DispatchSession {
  readonly id = randomUUID();
  readonly client: ClientInfo = { ver: '', ua: '', dev: '', lang: '', notices: false };
  activityMark = 0;
  readonly bucket: TokenBucket;
  // Created on first use: an idle connection should cost little more than its socket.
  #log: Logger | undefined;
  #typingGate: KeyedInterval | undefined;
  #receiptGate: KeyedBuckets | undefined;
  /** Set by inbound traffic and pongs; cleared by each heartbeat round (§12 item 28). */
  alive = true;
  droppedFrames = 0;
  #userId: string | null = null;
  #group: string | undefined;
  #groupEndsAt: number | undefined;
  #closed = false;
  #inbox: (Buffer | string)[] = [];
  #draining = false;
  #strikes = 0;
  #authTimer: NodeJS.Timeout | undefined;
  readonly #frames: FrameHandler;
  readonly #events: SessionEvents;

  constructor(
    private readonly socket: SocketLike,
    readonly remoteAddress: string,
    parts: SessionParts,
    private readonly limits: SessionLimits,
    private readonly parentLog: Logger,
  ) {
    this.#frames = parts.frames;
    this.#events = parts.events;
    this.bucket = new TokenBucket(limits.frameRate, limits.frameRate);
    this.#authTimer = setTimeout(() => this.close(CloseCode.AUTH_TIMEOUT), limits.authTimeoutMs);
    this.#authTimer.unref();
  }

  /** Logger bound to this session (and its user once logged in). */
  get log(): Logger {
    return (this.#log ??= this.parentLog.child(this.#userId ? { sid: this.id, user: this.#userId } : { sid: this.id }));
  }

  get userId(): string | null {
    return this.#userId;
  }

  /** The login session (device) this socket belongs to: its session group in the registry. */
  get group(): string | undefined {
    return this.#group;
  }

  /** Whether its login session has passed its absolute lifetime (the heartbeat then closes the socket). */
  groupExpired(now = Date.now()): boolean {
    return this.#groupEndsAt !== undefined && now >= this.#groupEndsAt;
  }

  get wantsNotices(): boolean {
    return this.client.notices;
  }

  get closed(): boolean {
    return this.#closed;
  }

  setClientInfo(info: Partial<ClientInfo>, op: OpLease): void {
    if (op.expired) return;
    Object.assign(this.client, info);
  }

  allowTyping(conv: string): boolean {
    return (this.#typingGate ??= new KeyedInterval(1000)).allow(conv);
  }

  allowReceipt(conv: string): boolean {
    return (this.#receiptGate ??= new KeyedBuckets(10, 20)).take(conv);
  }

  async bindUser(userId: string, op: OpLease, group?: string, groupEndsAt?: Date): Promise<boolean> {
    // An op the dispatcher gave up on (its deadline passed, its error was sent) never signs the socket in later.
    if (this.#closed || op.expired) return false;
    clearTimeout(this.#authTimer);
    this.#authTimer = undefined;
    // Set before anything awaits: from here an ending of that session finds this socket.
    this.#group = group;
    this.#groupEndsAt = groupEndsAt?.getTime();
    const from = this.#userId;
    if (from === userId) return true; // same user again: nothing to re-register (§12 item 24)
    this.#userId = userId;
    this.#log = undefined; // re-created with the new user binding on next use
    await this.#events.userChanged(this, from, userId);
    return true;
  }

  async unbindUser(op: OpLease): Promise<boolean> {
    if (this.#closed || op.expired) return false;
    const from = this.#userId;
    this.#userId = null;
    this.#group = undefined;
    this.#groupEndsAt = undefined;
    this.#log = undefined;
    this.activityMark = 0;
    clearTimeout(this.#authTimer);
    this.#authTimer = setTimeout(() => this.close(CloseCode.AUTH_TIMEOUT), this.limits.authTimeoutMs);
    this.#authTimer.unref();
    if (from !== null) await this.#events.userChanged(this, from, null);
    return true;
  }

  /** An inbound frame from the transport. */
  receive(raw: Buffer | string): void {
    if (this.#closed) return;
    this.alive = true;
    if (!this.bucket.take(1) || this.#inbox.length >= MAX_PENDING_FRAMES) {
      this.#frames.rejectFrame(this, raw);
      // A client that keeps sending while refused is closed rather than answered forever.
      if (++this.#strikes > this.limits.frameRate * 3) this.close(CloseCode.FLOODING);
      return;
    }
    if (this.#strikes > 0 && this.bucket.full) this.#strikes = 0;
    this.#inbox.push(raw);
    if (!this.#draining) void this.#drain();
  }

  /** Counts a refusal after parsing (op cost over budget) towards flooding. */
  strike(): void {
    if (++this.#strikes > this.limits.frameRate * 3) this.close(CloseCode.FLOODING);
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      for (let raw = this.#inbox.shift(); raw !== undefined && !this.#closed; raw = this.#inbox.shift()) {
        await this.#frames.handleFrame(this, raw);
      }
    } finally {
      this.#draining = false;
    }
  }

  /**
   * Queues a frame for the peer. A no-op once closed (DEFECTS 3). Droppable
   * frames are skipped past the soft limit; past the hard limit the session is
   * closed as a slow consumer (DEFECTS 7).
   */
  send(frame: string | Buffer, droppable = false): void {
    if (this.#closed) return;
    const buffered = this.socket.bufferedAmount;
    if (droppable && buffered > this.limits.outboundSoftLimit) {
      this.droppedFrames++;
      return;
    }
    // One large reply (a history page) to a reader that keeps up is always let through.
    if (buffered > 0 && buffered + frame.length > this.limits.outboundHardLimit) {
      this.log.info({ buffered }, 'closing slow consumer');
      this.#events.slowConsumer?.(this);
      this.close(CloseCode.SLOW_CONSUMER);
      return;
    }
    holdWritesThisTurn(this.socket);
    this.socket.send(frame, this.#onWritten);
    this.#events.frameSent?.();
  }

  readonly #onWritten = (err?: Error): void => {
    if (!err || this.#closed) return;
    this.log.warn({ err: err.message }, 'socket write failed');
    this.close(CloseCode.INTERNAL_ERROR);
  };

  ping(): void {
    if (!this.#closed) this.socket.ping();
  }

  /** Ends the session: leaves every index at once, then closes the socket. */
  close(code: number, reason?: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#authTimer);
    this.#inbox.length = 0;
    try {
      if (code === CloseCode.HEARTBEAT_TIMEOUT) this.socket.terminate();
      else this.socket.close(code, reason ?? CloseReason[code as keyof typeof CloseReason] ?? '');
    } catch (err) {
      this.log.debug({ err }, 'socket close failed');
      this.socket.terminate();
    }
    this.#events.closed(this, this.#userId);
  }

  /** The transport saw the socket go away. */
  socketClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#authTimer);
    this.#inbox.length = 0;
    this.#events.closed(this, this.#userId);
  }
}
