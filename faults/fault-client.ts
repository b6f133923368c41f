import { ConnectionClosedError, MvchatClient, TimeoutError, WsSocket, type Ctrl, type ServerFrame } from '../client/index.js';
import { CatchUpRefused, catchUp } from './catch-up.js';
import { ClientStats } from './client-stats.js';
import { Ledger, tokenOf } from './ledger.js';

export interface Account {
  id: string;
  name: string;
  token: string;
}

/** The URL a client of `slot` connects to now (its own node, or a survivor); undefined while no server is up. */
export type Locate = (slot: number) => string | undefined;

export type SendResult = { kind: 'acked'; seq: number } | { kind: 'refused'; code: number } | { kind: 'closed' } | { kind: 'timeout' };

const REQUEST_MS = 5000;
/** A live frame past a gap waits this long for the missing ones before a catch-up. */
const GAP_WAIT_MS = 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Waiter {
  resolve(conn: MvchatClient): void;
  reject(err: Error): void;
}

/**
 * One user's connection as a reconnecting app keeps it: token login, a
 * catch-up of every conversation after each (re)connect, a catch-up when
 * live frames skip seqs, and a reconnect (with back-off, to wherever
 * `locate` points) whenever the socket closes without being asked to.
 */
export class FaultClient {
  stats = new ClientStats();
  readonly ledger = new Ledger(() => this.stats);
  /** Every frame that is not a reply (the watcher's presence view listens here). */
  onFrame?: (frame: ServerFrame) => void;
  /** Runs after each login, before the catch-up (the watcher loads presence here). */
  afterLogin?: (conn: MvchatClient) => Promise<void>;
  /** Set when a reconnect gave up. */
  failure: Error | undefined;

  #conn: MvchatClient | undefined;
  #socket: WsSocket | undefined;
  #ready: MvchatClient | undefined;
  #waiters: Waiter[] = [];
  #stopped = false;
  #establishing: Promise<void> | undefined;
  readonly #ownCloses = new WeakSet<MvchatClient>();
  #liveSeen = new Map<string, Set<number>>();
  readonly #gapTimers = new Map<string, NodeJS.Timeout>();
  #catchUps: Promise<unknown> = Promise.resolve();
  #tokens = 0;

  constructor(
    readonly account: Account,
    public slot: number,
    private readonly locate: Locate,
    private readonly reconnectWithinMs: number,
  ) {}

  get name(): string {
    return this.account.name;
  }

  /** A token for this user's next message, unique for the whole run (it is also the send's nonce). */
  nextToken(): string {
    return `${this.name}.${++this.#tokens}`;
  }

  get isReady(): boolean {
    return this.#ready !== undefined;
  }

  start(): Promise<void> {
    this.#establishing ??= this.#connectLoop().finally(() => (this.#establishing = undefined));
    return this.#establishing;
  }

  /** The logged-in, caught-up connection; waits while (re)connecting, at most `timeoutMs`. */
  ready(timeoutMs = this.reconnectWithinMs): Promise<MvchatClient> {
    if (this.#ready) return Promise.resolve(this.#ready);
    if (this.#stopped) return Promise.reject(new Error(`${this.name} is stopped`));
    if (this.failure && !this.#establishing) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`${this.name} not connected within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        resolve: (c) => {
          clearTimeout(timer);
          resolve(c);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  /** One `send` with a nonce; an acknowledged one is recorded as seen by its sender. */
  async send(conv: string, text: string, nonce: string): Promise<SendResult> {
    let conn: MvchatClient;
    try {
      conn = await this.ready();
    } catch {
      return { kind: 'closed' };
    }
    try {
      const r = await conn.request('send', { conv, content: { v: 1, text }, nonce }, { timeoutMs: REQUEST_MS });
      if (r.code === 202) {
        const seq = Number(r.params?.seq);
        this.ledger.record(conv, seq, tokenOf(text), 'own');
        return { kind: 'acked', seq };
      }
      this.stats.errorCode(r.code);
      return { kind: 'refused', code: r.code };
    } catch (err) {
      if (err instanceof TimeoutError) {
        this.stats.timeouts++;
        return { kind: 'timeout' };
      }
      return { kind: 'closed' };
    }
  }

  /** A request on the ready connection; error codes are counted, the ctrl is returned whatever its code. */
  async request(op: string, body: unknown): Promise<Ctrl> {
    const r = await (await this.ready()).request(op, body, { timeoutMs: REQUEST_MS });
    if (r.code >= 400) this.stats.errorCode(r.code);
    return r;
  }

  /** Catches up every conversation now, retrying while refused or reconnecting, until `deadline`. */
  async settle(deadline: number): Promise<void> {
    for (;;) {
      try {
        const conn = await this.ready(Math.max(1, deadline - Date.now()));
        await this.#catchUp(conn, [...this.ledger.convs.keys()]);
        return;
      } catch (err) {
        if (Date.now() + 300 > deadline) throw new Error(`${this.name}: catch-up not done in time: ${(err as Error).message}`);
        await sleep(300);
      }
    }
  }

  /** Closes for good: no reconnect. */
  stop(): void {
    this.#stopped = true;
    for (const t of this.#gapTimers.values()) clearTimeout(t);
    this.#gapTimers.clear();
    for (const w of this.#waiters.splice(0)) w.reject(new Error(`${this.name} stopped`));
    if (this.#conn) {
      this.#ownCloses.add(this.#conn);
      this.#conn.close(1000);
    }
    this.#ready = undefined;
  }

  /** Gives up reconnecting but leaves the socket as it is: it dies with its server. */
  abandon(): void {
    this.#stopped = true;
  }

  /** Stops reading the socket (the kernel buffers fill, then the server's queue). */
  pauseReading(): void {
    this.#socket?.ws.pause();
  }

  resumeReading(): void {
    this.#socket?.ws.resume();
  }

  async #connectLoop(): Promise<void> {
    const deadline = Date.now() + this.reconnectWithinMs;
    let delay = 100;
    while (!this.#stopped) {
      try {
        await this.#connectOnce(deadline);
        return;
      } catch (err) {
        this.#dropUnready();
        if (Date.now() + delay > deadline) {
          this.failure = new Error(`${this.name}: not reconnected within ${this.reconnectWithinMs} ms: ${(err as Error).message}`);
          for (const w of this.#waiters.splice(0)) w.reject(this.failure);
          throw this.failure;
        }
        await sleep(delay);
        delay = Math.min(delay * 2, 1000);
      }
    }
  }

  async #connectOnce(deadline: number): Promise<void> {
    const url = this.locate(this.slot);
    if (!url) throw new Error('no server up');
    let socket: WsSocket | undefined;
    const conn = await MvchatClient.connect(url, { timeoutMs: REQUEST_MS, open: async (u, events) => (socket = await WsSocket.open(u, events)) });
    if (this.#stopped) {
      this.#ownCloses.add(conn);
      conn.close(1000);
      return;
    }
    this.#conn = conn;
    this.#socket = socket;
    this.#liveSeen = new Map();
    conn.onFrame((f) => this.#onFrame(f));
    void conn.closed.then((info) => this.#onClosed(conn, info.code));
    const r = await conn.request('login', { scheme: 'token', secret: this.account.token });
    if (r.code !== 200) {
      this.stats.errorCode(r.code);
      this.#ownCloses.add(conn);
      conn.close(1000);
      throw new Error(`login answered ${r.code} ${r.text}`);
    }
    this.account.token = String(r.params?.token ?? this.account.token);
    await this.afterLogin?.(conn);
    // Logged in: catch up on this socket, retrying while the store refuses, until it closes.
    for (;;) {
      try {
        await this.#catchUp(conn, [...this.ledger.convs.keys()]);
        break;
      } catch (err) {
        if (err instanceof ConnectionClosedError || !conn.isOpen || Date.now() > deadline) throw err;
        await sleep(300);
      }
    }
    if (this.#stopped || !conn.isOpen) throw new Error('closed during catch-up');
    this.#ready = conn;
    for (const w of this.#waiters.splice(0)) w.resolve(conn);
  }

  /** A socket that logged in but could not be made ready is closed before the next try. */
  #dropUnready(): void {
    const conn = this.#conn;
    if (!conn || this.#ready) return;
    this.#conn = undefined;
    if (conn.isOpen) {
      this.#ownCloses.add(conn);
      conn.close(1000);
    }
  }

  #catchUp(conn: MvchatClient, convs: string[]): Promise<number> {
    const run = this.#catchUps.then(() => catchUp(conn, this.ledger, convs));
    this.#catchUps = run.catch(() => undefined);
    return run.catch((err: unknown) => {
      if (err instanceof CatchUpRefused) this.stats.errorCode(err.code);
      else if (err instanceof TimeoutError) this.stats.timeouts++;
      throw err;
    });
  }

  #onClosed(conn: MvchatClient, code: number): void {
    if (this.#ownCloses.has(conn)) return;
    this.stats.closed(code);
    if (conn !== this.#conn) return;
    this.#conn = undefined;
    this.#ready = undefined;
    if (!this.#stopped) this.start().catch(() => undefined);
  }

  #onFrame(frame: ServerFrame): void {
    this.onFrame?.(frame);
    const d = frame.data;
    if (!d) return;
    let seen = this.#liveSeen.get(d.conv);
    if (!seen) this.#liveSeen.set(d.conv, (seen = new Set()));
    if (seen.has(d.seq)) this.stats.liveRepeats++;
    seen.add(d.seq);
    this.ledger.record(d.conv, d.seq, tokenOf(d.content), 'live');
    if (this.ledger.conv(d.conv).hasGap) this.#gapCatchUp(d.conv);
  }

  #gapCatchUp(conv: string): void {
    if (this.#gapTimers.has(conv)) return;
    const timer = setTimeout(() => {
      this.#gapTimers.delete(conv);
      const conn = this.#ready;
      if (conn && this.ledger.conv(conv).hasGap) this.#catchUp(conn, [conv]).catch(() => undefined);
    }, GAP_WAIT_MS);
    this.#gapTimers.set(conv, timer);
  }
}
