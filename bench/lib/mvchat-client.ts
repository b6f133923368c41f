import WebSocket from 'ws';

export interface Ctrl {
  id?: string;
  code: number;
  text: string;
  params?: Record<string, unknown>;
}

/**
 * A minimal protocol client: requests by id, everything else handed to `onFrame`
 * as raw text (workers look for their marker without parsing every frame).
 */
export class MvchatClient {
  onFrame: (text: string) => void = () => {};
  #next = 1;
  #pending = new Map<string, (ctrl: Ctrl) => void>();
  readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.startsWith('{"ctrl"')) {
        const ctrl = (JSON.parse(text) as { ctrl: Ctrl }).ctrl;
        const done = ctrl.id === undefined ? undefined : this.#pending.get(ctrl.id);
        if (done && ctrl.id !== undefined) {
          this.#pending.delete(ctrl.id);
          done(ctrl);
          return;
        }
      }
      this.onFrame(text);
    });
    void this.closed.then(() => {
      for (const done of this.#pending.values()) done({ code: 0, text: 'connection closed' });
      this.#pending.clear();
    });
  }

  static connect(url: string): Promise<MvchatClient> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new MvchatClient(ws)));
      ws.once('error', reject);
    });
  }

  get pending(): number {
    return this.#pending.size;
  }

  /** Sends `{id, [op]: body}`; `done` gets the matching ctrl (code 0 if the socket closed first). */
  requestCb(op: string, body: unknown, done: (ctrl: Ctrl) => void): void {
    const id = String(this.#next++);
    this.#pending.set(id, done);
    this.ws.send(`{"id":"${id}","${op}":${JSON.stringify(body)}}`);
  }

  request(op: string, body: unknown): Promise<Ctrl> {
    return new Promise((resolve) => this.requestCb(op, body, resolve));
  }

  close(): void {
    this.ws.close();
  }
}

export function basicSecret(name: string, password: string): string {
  return Buffer.from(`${name}:${password}`).toString('base64');
}

export function ok(ctrl: Ctrl): boolean {
  return ctrl.code >= 200 && ctrl.code < 300;
}

/** Throws with the server's answer unless the ctrl is a success. */
export function expectOk(ctrl: Ctrl, what: string): Ctrl {
  if (!ok(ctrl)) throw new Error(`${what}: ${ctrl.code} ${ctrl.text}`);
  return ctrl;
}
