import { ConnectionClosedError, TimeoutError } from './errors.js';
import { parseServerFrame, type ClientFrame, type Ctrl, type ServerFrame } from './frames.js';
import type { ClientSocket, SocketOpener } from './socket.js';

export interface ClientOptions {
  /** How to open the socket, e.g. `wsOpener()` on Node. */
  open: SocketOpener;
  /** Default wait, in ms, for a request's reply and for `nextFrame`; 0 waits until the socket closes. Default 10 000. */
  timeoutMs?: number;
}

export interface CloseInfo {
  code: number;
  reason: string;
}

export type FrameListener = (frame: ServerFrame) => void;
export type FramePredicate = (frame: ServerFrame) => boolean;

export interface ListenOptions {
  /**
   * Also see the ctrl replies that `request()` matched. They arrive in order
   * with every other frame, before the request's promise settles.
   */
  replies?: boolean;
}

export interface WaitOptions extends ListenOptions {
  timeoutMs?: number;
}

interface Pending {
  resolve(ctrl: Ctrl): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

interface Listener {
  frame: FrameListener;
  replies: boolean;
  /** Set for `nextFrame` waiters, which must fail when the socket closes. */
  closed?: (err: ConnectionClosedError) => void;
}

/**
 * A protocol client over one socket. Requests get increasing decimal ids
 * ("1", "2", ... as PROTOCOL §2.1 describes) and resolve with their `ctrl`;
 * every other frame goes to the listeners.
 */
export class MvchatClient {
  /** Settles once, when the socket closes, with the close code and reason. */
  readonly closed: Promise<CloseInfo>;
  #socket: ClientSocket | undefined;
  #closeInfo: CloseInfo | undefined;
  #resolveClosed: (info: CloseInfo) => void = () => {};
  #nextId = 1;
  readonly #pending = new Map<string, Pending>();
  #listeners: Listener[] = [];
  readonly #timeoutMs: number;

  private constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  /** Opens a socket to `url` (e.g. `ws://host/v0/ws`); rejects when it cannot be opened. */
  static async connect(url: string, options: ClientOptions): Promise<MvchatClient> {
    const client = new MvchatClient(options.timeoutMs ?? 10_000);
    client.#socket = await options.open(url, {
      message: (text) => client.#receive(text),
      close: (code, reason) => client.#onClose(code, reason),
    });
    return client;
  }

  get isOpen(): boolean {
    return this.#closeInfo === undefined && (this.#socket?.isOpen ?? false);
  }

  /** Requests sent and not answered yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Sends `{id, [op]: body}` and resolves with the `ctrl` echoing that id,
   * whatever its code. Rejects with TimeoutError, or ConnectionClosedError
   * when the socket closes first.
   */
  request(op: string, body: unknown, options: { timeoutMs?: number } = {}): Promise<Ctrl> {
    if (this.#closeInfo) return Promise.reject(new ConnectionClosedError(this.#closeInfo.code, this.#closeInfo.reason));
    const id = String(this.#nextId++);
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.#pending.delete(id);
              reject(new TimeoutError(`no reply to ${op} (id ${id}) within ${timeoutMs} ms`));
            }, timeoutMs)
          : undefined;
      this.#pending.set(id, { resolve, reject, timer });
      this.#send(JSON.stringify({ id, [op]: body }));
    });
  }

  /** Sends a frame as is: no id is added and no reply is awaited. */
  send(frame: ClientFrame): void {
    this.#send(JSON.stringify(frame));
  }

  /** Calls `listener` for every frame that is not a matched reply (or for every frame, with `replies`). Returns the unsubscribe. */
  onFrame(listener: FrameListener, options: ListenOptions = {}): () => void {
    const entry: Listener = { frame: listener, replies: options.replies ?? false };
    this.#listeners.push(entry);
    return () => this.#remove(entry);
  }

  /** Resolves with the next frame to arrive that matches `pred`. Rejects on timeout or close. */
  nextFrame(pred: FramePredicate, options: WaitOptions = {}): Promise<ServerFrame> {
    if (this.#closeInfo) return Promise.reject(new ConnectionClosedError(this.#closeInfo.code, this.#closeInfo.reason));
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    return new Promise((resolve, reject) => {
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.#remove(entry);
        settle();
      };
      const entry: Listener = {
        replies: options.replies ?? false,
        frame: (f) => pred(f) && finish(() => resolve(f)),
        closed: (err) => finish(() => reject(err)),
      };
      const timer = timeoutMs > 0 ? setTimeout(() => finish(() => reject(new TimeoutError(`no matching frame within ${timeoutMs} ms`))), timeoutMs) : undefined;
      this.#listeners.push(entry);
    });
  }

  close(code?: number, reason?: string): void {
    this.#socket?.close(code, reason);
  }

  #send(text: string): void {
    if (!this.#socket) throw new Error('socket not open');
    // A socket that is closing drops the frame; its close event then fails whatever waits.
    this.#socket.send(text);
  }

  #remove(entry: Listener): void {
    this.#listeners = this.#listeners.filter((l) => l !== entry);
  }

  #receive(text: string): void {
    const frame = parseServerFrame(text);
    if (!frame) {
      // The server only sends JSON objects; anything else means the stream cannot be trusted.
      this.close(1002, 'unreadable frame');
      return;
    }
    const id = frame.ctrl?.id;
    const reply = typeof id === 'string' ? this.#pending.get(id) : undefined;
    // A copy: listeners may unsubscribe (or subscribe) while being called.
    for (const l of [...this.#listeners]) {
      if (reply && !l.replies) continue;
      try {
        l.frame(frame);
      } catch (err) {
        // One failing listener must not starve the others; the error still surfaces.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
    if (reply && frame.ctrl && typeof id === 'string') {
      this.#pending.delete(id);
      clearTimeout(reply.timer);
      reply.resolve(frame.ctrl);
    }
  }

  #onClose(code: number, reason: string): void {
    if (this.#closeInfo) return;
    this.#closeInfo = { code, reason };
    this.#resolveClosed(this.#closeInfo);
    const err = new ConnectionClosedError(code, reason);
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.#pending.clear();
    for (const l of [...this.#listeners]) l.closed?.(err);
  }
}
