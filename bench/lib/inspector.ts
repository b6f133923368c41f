import WebSocket from 'ws';

/** A tiny Chrome DevTools Protocol client for reading a child's memory without adding code to it. */
export class Inspector {
  #next = 1;
  #pending = new Map<number, (result: unknown) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: unknown };
      if (msg.id === undefined) return;
      this.#pending.get(msg.id)?.(msg.error ? Promise.reject(new Error(JSON.stringify(msg.error))) : msg.result);
      this.#pending.delete(msg.id);
    });
  }

  static async connect(url: string): Promise<Inspector> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new Inspector(ws);
  }

  call(method: string, params: object = {}): Promise<unknown> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Full GC, then the process's own memory figures in bytes. */
  async memory(): Promise<{ rss: number; heapUsed: number; external: number }> {
    await this.call('HeapProfiler.collectGarbage');
    const res = (await this.call('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    })) as { result: { value: string } };
    const m = JSON.parse(res.result.value) as { rss: number; heapUsed: number; external: number; arrayBuffers: number };
    return { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
  }

  close(): void {
    this.ws.close();
  }
}
