import { connect } from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends, withServer } from '../helpers/server.js';
import { upload } from './files-support.js';

/** Path and query values that are odd as text, as encodings or as sizes. */
const ODD = [
  '%00',
  '%ED%A0%80',
  '%ED%B0%80',
  '%F0%9F',
  '%C0%AF',
  '%',
  '%zz',
  '%EF%BF%BF',
  '..%2F..%2Fetc%2Fpasswd',
  'x'.repeat(6000),
  '%20',
  '+',
  'null',
  '[]',
];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
const FILE_ROUTES = ['/v0/file/upload', '/v0/file/{id}', '/v0/file/{id}/thumb'];

function routes(fileId: string): string[] {
  const out = ['/health', '/metrics', '/verify-email', '/v0/ws', '/v0/channels'];
  for (const prefix of ['', '/v0/ws', '/v0/channels']) {
    out.push(`${prefix}/v0/account/export`);
    for (const r of FILE_ROUTES) {
      out.push(prefix + r.replace('{id}', fileId));
      if (r.includes('{id}')) for (const odd of ODD) out.push(prefix + r.replace('{id}', odd));
    }
  }
  return out;
}

function queries(token: string): string[] {
  const out = ['', `?token=${token}`, '?token=', '?token=a&token=b', '?token[]=1', '?token[a]=1', '?__proto__=1', '?constructor[prototype]=1'];
  for (const odd of ODD) out.push(`?token=${odd}`, `?${odd}=${odd}`, `?token=${token}&x=${odd}`);
  return out;
}

/** Raw bytes on a socket, for what fetch refuses to send; resolves with the status line (or '' when closed without one). */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(Buffer.from(bytes, 'latin1')));
    let text = '';
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      if (text.includes('\r\n')) socket.destroy();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text.split('\r\n')[0] ?? ''));
    socket.setTimeout(10_000, () => socket.destroy());
  });
}

for (const backend of backends()) {
  test(`[${backend}] every HTTP route × odd paths, queries, headers, methods and bodies: never a 500, never a crash`, () =>
    withServer(backend, async (s) => {
      const u = await s.user('httpfuzz');
      const file = await upload(s, u.token, Buffer.from('some file'));
      assert.equal(file.status, 201);
      const id = file.json!.id;
      const failures: string[] = [];
      const seen = new Map<number, number>();
      let n = 0;
      const check = async (label: string, url: string, init: RequestInit) => {
        n++;
        let status: number;
        let body = '';
        try {
          const res = await fetch(`${s.httpUrl}${url}`, init);
          status = res.status;
          body = await res.text();
        } catch (err) {
          failures.push(`${label} ${url.slice(0, 120)}: ${(err as Error).cause ?? err}`);
          return;
        }
        seen.set(status, (seen.get(status) ?? 0) + 1);
        if (status >= 500) failures.push(`${label} ${url.slice(0, 120)} → ${status} ${body.slice(0, 80)}`);
        if (/stack|sql|exception|at .*\.js:\d+/i.test(body)) failures.push(`${label} ${url.slice(0, 120)} leaks internals: ${body.slice(0, 200)}`);
      };

      const auth = { authorization: `Bearer ${u.token}` };
      for (const route of routes(id)) {
        for (const q of queries(u.token)) {
          for (const method of METHODS) await check(method, route + q, { method });
        }
        const headerSets: Record<string, string>[] = [
          { authorization: 'Bearer' },
          { authorization: 'Bearer ' },
          { authorization: `Bearer ${'x'.repeat(9000)}` },
          { authorization: 'Basic dXNlcjpwYXNz' },
          { authorization: 'Bearer %00' },
          { authorization: `Bearer ${u.token}.x` },
          { ...auth, range: 'bytes=abc' },
          { ...auth, range: 'bytes=-0' },
          { ...auth, range: 'bytes=99999999999999999999999-' },
          { ...auth, range: 'bytes=5-1' },
          { ...auth, range: `bytes=${'0-1,'.repeat(2000)}0-1` },
          { ...auth, 'if-none-match': '"\u00ff"' },
          { ...auth, 'if-modified-since': 'not a date' },
          { ...auth, 'if-modified-since': 'Tue, 01 Jan 275760 00:00:00 GMT' },
          { ...auth, 'if-range': 'garbage' },
          { ...auth, 'if-range': 'Mon, 99 Foo 2020 99:99:99 GMT' },
          { ...auth, origin: 'null' },
          { ...auth, origin: `https://${'a'.repeat(3000)}.example` },
          { ...auth, 'content-type': 'multipart/form-data' },
          { ...auth, 'x-forwarded-for': 'not-an-ip, ::ffff:999.1.1.1' },
        ];
        for (const headers of headerSets) {
          await check(`GET ${JSON.stringify(headers).slice(0, 60)}`, route, { headers });
          await check(`HEAD ${JSON.stringify(headers).slice(0, 60)}`, route, { method: 'HEAD', headers });
        }
      }

      // Bodies of every kind on every upload path, with and without a token.
      const bodies: [string, Record<string, string>, string | Uint8Array][] = [
        ['json', { 'content-type': 'application/json' }, '{"file":'],
        ['text', { 'content-type': 'text/plain' }, 'plain'],
        ['no boundary', { 'content-type': 'multipart/form-data' }, '--x\r\n'],
        ['empty boundary', { 'content-type': 'multipart/form-data; boundary=' }, '--\r\n'],
        ['long boundary', { 'content-type': `multipart/form-data; boundary=${'b'.repeat(200)}` }, '--b\r\n'],
        ['bad charset', { 'content-type': 'multipart/form-data; boundary=z; charset=%00' }, '--z\r\n'],
        ['unterminated', { 'content-type': 'multipart/form-data; boundary=z' }, '--z\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc'],
        ['no headers', { 'content-type': 'multipart/form-data; boundary=z' }, '--z\r\n\r\nabc\r\n--z--\r\n'],
        [
          'odd names',
          { 'content-type': 'multipart/form-data; boundary=z' },
          '--z\r\nContent-Disposition: form-data; name="__proto__"; filename="\u0000\ud800.bin"\r\nContent-Type: \u0000\r\n\r\nabc\r\n--z\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8\'\'%ED%A0%80%00\r\n\r\nabc\r\n--z--\r\n',
        ],
        [
          'many parts',
          { 'content-type': 'multipart/form-data; boundary=z' },
          `${'--z\r\nContent-Disposition: form-data; name="f"\r\n\r\nv\r\n'.repeat(40)}--z--\r\n`,
        ],
        ['only close', { 'content-type': 'multipart/form-data; boundary=z' }, '--z--\r\n'],
        ['binary', { 'content-type': 'multipart/form-data; boundary=z' }, new Uint8Array([0, 255, 254, 0, 13, 10, 45, 45])],
      ];
      for (const prefix of ['', '/v0/ws', '/v0/channels']) {
        for (const [label, headers, body] of bodies) {
          for (const token of [null, u.token]) {
            await check(`POST ${label}`, `${prefix}/v0/file/upload`, {
              method: 'POST',
              headers: token ? { ...headers, authorization: `Bearer ${token}` } : headers,
              body,
            });
          }
        }
      }

      // Bodies of every kind on the export, with and without a token (never the right password: nothing is exported).
      const json = { 'content-type': 'application/json' };
      const exportBodies: [string, Record<string, string>, string | Uint8Array | undefined][] = [
        ['no body', {}, undefined],
        ['empty json', json, ''],
        ['text', { 'content-type': 'text/plain' }, '{"password":"x"}'],
        ['form', { 'content-type': 'application/x-www-form-urlencoded' }, 'password=x'],
        ['multipart', { 'content-type': 'multipart/form-data; boundary=z' }, '--z--\r\n'],
        ['odd type', { 'content-type': 'application/json; charset=%00' }, '{}'],
        ['not json', json, '{"password":'],
        ['array', json, '[]'],
        ['number', json, '1'],
        ['null', json, 'null'],
        ['no password', json, '{}'],
        ['number password', json, '{"password":1}'],
        ['array password', json, '{"password":["x"]}'],
        ['object password', json, '{"password":{"a":1}}'],
        ['null password', json, '{"password":null}'],
        ['proto', json, '{"__proto__":{"password":"x"},"constructor":{"prototype":{}}}'],
        ['nul password', json, '{"password":"\\u0000"}'],
        ['lone surrogate', json, '{"password":"\\ud800"}'],
        ['deep', json, `${'['.repeat(5000)}${']'.repeat(5000)}`],
        ['long password', json, JSON.stringify({ password: 'x'.repeat(5000) })],
        ['oversize', json, JSON.stringify({ password: 'x'.repeat(2 * 1024 * 1024) })],
        ['binary', json, new Uint8Array([0, 255, 254, 0, 13, 10])],
      ];
      for (const prefix of ['', '/v0/ws', '/v0/channels']) {
        for (const [label, headers, body] of exportBodies) {
          for (const token of [null, u.token]) {
            await check(`POST export ${label}`, `${prefix}/v0/account/export`, {
              method: 'POST',
              headers: token ? { ...headers, authorization: `Bearer ${token}` } : headers,
              ...(body === undefined ? {} : { body }),
            });
          }
        }
      }

      // What fetch will not send: raw control bytes and broken request lines.
      for (const line of [
        'GET /verify-email?token=\x00 HTTP/1.1',
        'GET /v0/file/\x00 HTTP/1.1',
        `GET /v0/file/${id}?token=\xff\xfe HTTP/1.1`,
        'GET /v0/file/\xed\xa0\x80/thumb HTTP/1.1',
        'BREW /health HTTP/1.1',
        'GET /health HTTP/9.9',
      ]) {
        const status = await raw(s.port, `${line}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
        if (!/^HTTP\/1\.1 [1-4]\d\d /.test(status) && status !== '') failures.push(`raw ${JSON.stringify(line)} → ${status}`);
      }
      for (const header of ['Authorization: Bearer \x00', 'Range: bytes=\x00-1', `Authorization: Bearer ${u.token}\r\nRange: bytes=\xff-`]) {
        const status = await raw(s.port, `GET /v0/file/${id} HTTP/1.1\r\nHost: 127.0.0.1\r\n${header}\r\nConnection: close\r\n\r\n`);
        if (!/^HTTP\/1\.1 [1-4]\d\d /.test(status) && status !== '') failures.push(`raw header ${JSON.stringify(header)} → ${status}`);
      }

      assert.deepEqual(failures, []);
      assert.ok(n > 3000, `only ${n} requests`);
      // Still serving, and the file is intact.
      const health = await fetch(`${s.httpUrl}/health`);
      assert.equal(health.status, 200);
      const again = await fetch(`${s.httpUrl}/v0/file/${id}`, { headers: auth });
      assert.deepEqual([again.status, await again.text()], [200, 'some file']);
      u.client.close();
    }));
}
