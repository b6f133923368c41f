import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { freshPgDatabase, PG_URL, startServer } from '../helpers/server.js';

/** A TCP relay to PostgreSQL that can be cut and restored, like a database going away. */
class Relay {
  #server: Server | null = null;
  #sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async up(): Promise<void> {
    this.#server = createServer((client) => {
      const upstream = createConnection(this.target);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => this.#server!.listen(this.port, '127.0.0.1', () => r()));
    this.port = (this.#server.address() as { port: number }).port;
  }

  async down(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  }
}

test('PostgreSQL going away: clear 503 errors, and recovery without a restart', { skip: !PG_URL && 'MVCHAT_TEST_DATABASE_URL not set' }, async () => {
  const db = await freshPgDatabase();
  const direct = new URL(db.url);
  const relay = new Relay({ host: direct.hostname, port: Number(direct.port || 5432) });
  await relay.up();
  const viaRelay = new URL(db.url);
  viaRelay.host = `127.0.0.1:${relay.port}`;
  const s = await startServer('postgres', { databaseUrl: viaRelay.toString(), frameRate: 1000 });
  try {
    const a = await s.user('pgdown_a');
    const b = await s.user('pgdown_b');
    const conv = (await a.client.request('dm', { user: b.id })).params.conv;
    assert.equal((await a.client.request('send', { conv, content: { v: 1, text: 'before' } })).code, 202);

    await relay.down();
    const during = await a.client.request('send', { conv, content: { v: 1, text: 'during' } });
    assert.deepEqual([during.code, during.text], [503, 'service unavailable']);
    const read = await b.client.request('get', { what: 'conversations' });
    assert.deepEqual([read.code, read.text], [503, 'service unavailable']);

    await relay.up();
    let after: Record<string, any> = {};
    for (let i = 0; i < 50 && after.code !== 202; i++) {
      after = await a.client.request('send', { conv, content: { v: 1, text: 'after' } });
      if (after.code !== 202) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(after.code, 202, 'serving again once the database is back');
    const history = await b.client.request('get', { what: 'messages', conv });
    const texts = history.params.messages.map((m: { content: string }) => JSON.parse(Buffer.from(m.content, 'base64').toString()).text);
    assert.deepEqual(texts, ['after', 'before']);
    a.client.close();
    b.client.close();
  } finally {
    await s.close();
    await relay.down();
    await db.drop();
  }
});
