import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backends } from '../helpers/server.js';
import { upload } from './files-support.js';

/** Sends `head` and part of a body, then stalls; resolves with the answer and whether the server closed the socket. */
function stalledRequest(port: number, head: string, partial: string): Promise<{ text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1', () => socket.write(head + partial));
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve({ text, ms: Date.now() - started }));
    socket.setTimeout(15_000, () => {
      socket.destroy();
      reject(new Error(`socket held open: ${JSON.stringify(text)}`));
    });
  });
}

/**
 * A client that, like a browser, sends the whole request before it reads the
 * answer: a server that answers early and then resets the connection makes it
 * lose the answer.
 */
function sendThenRead(port: number, head: string, body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.pause();
    socket.on('error', (err) => reject(new Error(`the answer was lost: ${(err as NodeJS.ErrnoException).code}`)));
    socket.on('connect', async () => {
      const write = (chunk: Buffer | string) => new Promise<void>((ok, fail) => socket.write(chunk, (err) => (err ? fail(err) : ok())));
      try {
        await write(head);
        for (let at = 0; at < body.length; at += 16 * 1024) await write(body.subarray(at, at + 16 * 1024));
      } catch (err) {
        reject(new Error(`the answer was lost: ${(err as NodeJS.ErrnoException).code}`));
        return;
      }
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
      socket.on('end', () => resolve(text));
      socket.resume();
    });
    socket.setTimeout(15_000, () => {
      socket.destroy();
      reject(new Error('no answer'));
    });
  });
}

function multipart(bytes: Buffer): { boundary: string; body: Buffer } {
  const boundary = 'formboundary42';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { boundary, body };
}

function uploadHead(body: Buffer, boundary: string, token: string | null): string {
  const lines = [
    'POST /v0/file/upload HTTP/1.1',
    'Host: 127.0.0.1',
    'Connection: close',
    `Content-Type: multipart/form-data; boundary=${boundary}`,
    `Content-Length: ${body.length}`,
  ];
  if (token) lines.push(`Authorization: Bearer ${token}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

for (const backend of backends()) {
  test(`[${backend}] a client that sends its whole upload before reading still gets the 401 and the 413`, async () => {
    const limit = 64 * 1024;
    const s = await startServer(backend, { uploadMaxBytes: limit });
    try {
      const u = await s.user();
      for (const size of [3, 300 * 1024]) {
        const { boundary, body } = multipart(Buffer.alloc(size, 5));
        const answer = await sendThenRead(s.port, uploadHead(body, boundary, null), body);
        assert.match(answer, /^HTTP\/1\.1 401 /, `size ${size}`);
        assert.match(answer, /\r\n\r\nunauthorized\n$/);
      }
      for (const size of [limit + 1, 4 * limit, 12 * limit]) {
        const { boundary, body } = multipart(Buffer.alloc(size, 5));
        const answer = await sendThenRead(s.port, uploadHead(body, boundary, u.token), body);
        assert.match(answer, /^HTTP\/1\.1 413 /, `size ${size}`);
        assert.match(answer, new RegExp(`\r\n\r\nfile too large \\(limit ${limit} bytes\\)\n$`));
      }
      u.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] an upload without a token gets a 401 that fetch can read`, async () => {
    const s = await startServer(backend);
    try {
      // Several times over: a reset racing the answer shows up only now and then.
      for (let i = 0; i < 20; i++) {
        const r = await upload(s, null, Buffer.from('abc'));
        assert.deepEqual([r.status, r.text], [401, 'unauthorized\n']);
        assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
      }
      // The same with a body too large to be worth reading beyond the limit.
      const big = await upload(s, 'not-a-token', Buffer.alloc(512 * 1024, 1));
      assert.deepEqual([big.status, big.text], [401, 'unauthorized\n']);
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] an upload over the size limit gets a 413 that fetch can read`, async () => {
    const limit = 64 * 1024;
    const s = await startServer(backend, { uploadMaxBytes: limit });
    try {
      const u = await s.user();
      for (const size of [limit + 1, 4 * limit, 12 * limit]) {
        const r = await upload(s, u.token, Buffer.alloc(size, 3));
        assert.deepEqual([r.status, r.text], [413, `file too large (limit ${limit} bytes)\n`], `size ${size}`);
      }
      // Nothing was kept, and the next upload on a fresh connection works.
      assert.deepEqual(readdirSync(path.join(s.config.dataDir, 'files', 'tmp')), []);
      assert.equal((await s.app.deps.stores.db.kysely.selectFrom('files').select('id').execute()).length, 0);
      assert.equal((await upload(s, u.token, Buffer.from('fits'))).status, 201);
      u.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] a stalled upload body is answered 408 and closed after the body idle timeout`, async () => {
    const s = await startServer(backend, { bodyIdleTimeout: 0.4 });
    try {
      const u = await s.user();
      const head = [
        'POST /v0/file/upload HTTP/1.1',
        'Host: 127.0.0.1',
        `Authorization: Bearer ${u.token}`,
        'Content-Type: multipart/form-data; boundary=b',
        'Content-Length: 100000',
        '',
        '',
      ].join('\r\n');
      // Stalls inside the file part, and before any part at all.
      for (const partial of ['--b\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\nsome bytes', '--b\r\nContent-Dispo']) {
        const r = await stalledRequest(s.port, head, partial);
        assert.match(r.text, /^HTTP\/1\.1 408 /);
        assert.match(r.text, /\r\n\r\nupload timed out\n$/);
        assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
      }
      // Nothing half-received is kept (the temp file goes once the parser has seen the connection close).
      const tmp = path.join(s.config.dataDir, 'files', 'tmp');
      for (let i = 0; i < 100 && readdirSync(tmp).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(readdirSync(tmp), []);
      assert.equal((await s.app.deps.stores.db.kysely.selectFrom('files').select('id').execute()).length, 0);
      // A body that keeps coming, however slowly, is not cut off.
      const slow = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const boundary = 'slowb';
        const parts = [`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n`, 'ab', 'cd', 'ef', `\r\n--${boundary}--\r\n`];
        const req = request(
          `${s.httpUrl}/v0/file/upload`,
          {
            method: 'POST',
            headers: {
              authorization: `Bearer ${u.token}`,
              'content-type': `multipart/form-data; boundary=${boundary}`,
              'content-length': String(parts.join('').length),
            },
          },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        const next = (i: number) => {
          if (i === parts.length) return req.end();
          req.write(parts[i]);
          setTimeout(() => next(i + 1), 200);
        };
        next(0);
      });
      assert.equal(slow.status, 201, slow.body);
      u.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] a request whose headers never end is answered 408 after the headers timeout`, async () => {
    const s = await startServer(backend, { headersTimeout: 0.5 });
    try {
      const r = await stalledRequest(s.port, 'POST /v0/file/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: 1');
      assert.match(r.text, /^HTTP\/1\.1 408 /);
      assert.ok(r.ms < 5_000, `took ${r.ms} ms`);
    } finally {
      await s.close();
    }
  });
}
