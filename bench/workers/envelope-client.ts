import WebSocket from 'ws';

interface Ctrl {
  id?: string;
  code: number;
  text: string;
}

/**
 * The load workers' own minimal codec (setup uses the client in client/):
 * requests by id with callbacks, everything else handed to `onFrame` as raw
 * text, so a worker looks for its marker without parsing every frame.
 */
export class EnvelopeClient {
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

  static connect(url: string): Promise<EnvelopeClient> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new EnvelopeClient(ws)));
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
