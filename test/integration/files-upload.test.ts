import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backends } from '../helpers/server.js';
import { download, images, upload, waitProcessed } from './files-support.js';

const HTML = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');

for (const backend of backends()) {
  test(`[${backend}] upload detects the type from the bytes and answers the four-key JSON`, async () => {
    const s = await startServer(backend);
    try {
      const u = await s.user();
      for (const [kind, mime] of [
        ['jpeg', 'image/jpeg'],
        ['png', 'image/png'],
        ['gif', 'image/gif'],
        ['webp', 'image/webp'],
      ] as const) {
        const bytes = await images[kind]();
        // The client's claimed type is ignored.
        const r = await upload(s, u.token, bytes, { name: `pic.${kind}`, type: 'text/html' });
        assert.equal(r.status, 201, r.text);
        assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
        assert.deepEqual(Object.keys(r.json!), ['id', 'mime', 'size', 'deduplicated']);
        assert.equal(r.json!.mime, mime);
        assert.equal(r.json!.size, bytes.length);
        assert.equal(r.json!.deduplicated, false);
        assert.match(r.json!.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        assert.equal(await waitProcessed(s, u.token, r.json!.id), 200);
        const d = await download(s, u.token, r.json!.id);
        assert.equal(d.status, 200);
        assert.equal(d.headers.get('content-type'), mime);
        assert.ok(d.body.equals(bytes));
      }
      u.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] an "image" that is really HTML is stored and served as an opaque download`, async () => {
    const s = await startServer(backend);
    try {
      const u = await s.user();
      const r = await upload(s, u.token, HTML, { name: 'cat.jpg', type: 'image/jpeg' });
      assert.equal(r.status, 201);
      assert.equal(r.json!.mime, 'application/octet-stream');
      const d = await download(s, u.token, r.json!.id);
      assert.equal(d.status, 200);
      assert.equal(d.headers.get('content-type'), 'application/octet-stream');
      assert.equal(d.headers.get('x-content-type-options'), 'nosniff');
      assert.match(d.headers.get('content-disposition') ?? '', /^attachment; filename="cat.jpg"/);
      assert.match(d.headers.get('content-security-policy') ?? '', /sandbox/);
      assert.ok(d.body.equals(HTML));
      u.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] identical bytes are stored once: two ids, both download the same bytes`, async () => {
    const s = await startServer(backend);
    try {
      const u = await s.user();
      const v = await s.user();
      const bytes = await images.png();
      const first = await upload(s, u.token, bytes);
      assert.equal(await waitProcessed(s, u.token, first.json!.id), 200);
      const second = await upload(s, v.token, bytes);
      assert.equal(second.status, 201);
      assert.notEqual(second.json!.id, first.json!.id);
      // Shared storage is not revealed: the reply reads as for any new file.
      assert.equal(second.json!.deduplicated, false);
      assert.equal(second.json!.mime, 'image/png');
      // Processed on its own, like any new file.
      assert.equal(await waitProcessed(s, v.token, second.json!.id), 200);
      for (const [token, id] of [
        [u.token, first.json!.id],
        [v.token, second.json!.id],
      ] as const) {
        const d = await download(s, token, id);
        assert.equal(d.status, 200);
        assert.ok(d.body.equals(bytes));
        const t = await download(s, token, id, { thumb: true });
        assert.equal(t.headers.get('content-type'), 'image/png');
      }
      // Each id is its uploader's: the other one is not allowed to read it.
      assert.equal((await download(s, v.token, first.json!.id)).status, 404);
      u.client.close();
      v.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] an upload does not reveal whether someone else stored the same bytes`, async () => {
    const s = await startServer(backend);
    try {
      const owner = await s.user();
      const prober = await s.user();
      // Large enough that processing takes far longer than reading the row back.
      const picture = await images.png(2400, 2400);
      const stored = await upload(s, owner.token, picture);
      assert.equal(await waitProcessed(s, owner.token, stored.json!.id), 200);
      const { kysely } = s.app.deps.stores.db;
      const observe = async (bytes: Buffer) => {
        const r = await upload(s, prober.token, bytes);
        assert.equal(r.status, 201, r.text);
        const row = await kysely.selectFrom('files').select(['status', 'mime_type']).where('id', '=', r.json!.id).executeTakeFirstOrThrow();
        const head = await download(s, prober.token, r.json!.id, { method: 'HEAD' });
        return { keys: Object.keys(r.json!), deduplicated: r.json!.deduplicated, mime: r.json!.mime, row, head: head.status, id: r.json!.id };
      };
      const twin = await observe(picture);
      const fresh = await observe(await images.png(2400, 2399));
      // Same reply and the same state straight after it: new, not ready yet.
      for (const o of [twin, fresh]) {
        assert.deepEqual(o.keys, ['id', 'mime', 'size', 'deduplicated']);
        assert.equal(o.deduplicated, false);
        assert.equal(o.mime, 'image/png');
        assert.deepEqual(o.row, { status: 'pending', mime_type: 'image/png' });
        assert.equal(o.head, 409);
      }
      // Each is processed on its own and ends the same way.
      for (const o of [twin, fresh]) {
        assert.equal(await waitProcessed(s, prober.token, o.id), 200);
        const t = await download(s, prober.token, o.id, { thumb: true });
        assert.equal(t.headers.get('content-type'), 'image/png');
      }
      owner.client.close();
      prober.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] upload refuses missing, wrong, expired and revoked tokens with 401`, async () => {
    const s = await startServer(backend);
    try {
      const u = await s.user();
      const bytes = Buffer.from('payload');
      assert.deepEqual([(await upload(s, null, bytes)).status, (await upload(s, null, bytes)).text], [401, 'unauthorized\n']);
      assert.equal((await upload(s, 'not-a-token', bytes)).status, 401);
      const { tokens } = s.app.deps;
      const expired = await tokens.issue(u.id, 0, new Date(Date.now() - (s.config.tokenLifetime + 60) * 1000));
      const r = await upload(s, expired.token, bytes);
      assert.equal(r.status, 401);
      assert.match(r.headers.get('www-authenticate') ?? '', /token expired/);
      const stranger = await tokens.issue('3f1c2b7e-8a41-4d8e-9b0c-5e2f7a6d1c90', 0);
      assert.equal((await upload(s, stranger.token, bytes)).status, 401);
      // A token from before a password change (older epoch) no longer works.
      await s.app.deps.stores.db.kysely.updateTable('users').set({ token_epoch: 1 }).where('id', '=', u.id).execute();
      assert.equal((await upload(s, u.token, bytes)).status, 401);
      const fresh = await tokens.issue(u.id, 1);
      assert.equal((await upload(s, fresh.token, bytes)).status, 201);
      // Also accepted in the query string, and under the WebSocket path prefix.
      assert.equal((await upload(s, fresh.token, bytes, { query: true, prefix: '/v0/ws' })).status, 201);
      await s.app.deps.stores.db.kysely.updateTable('users').set({ state: 'suspended' }).where('id', '=', u.id).execute();
      assert.equal((await upload(s, fresh.token, bytes)).status, 401);
      u.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] bad upload forms: not multipart, no file part, empty file, wrong method`, async () => {
    const s = await startServer(backend);
    try {
      const u = await s.user();
      const auth = { authorization: `Bearer ${u.token}` };
      const json = await fetch(`${s.httpUrl}/v0/file/upload`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"file":1}' });
      assert.deepEqual([json.status, await json.text()], [400, 'failed to parse form\n']);
      const bare = await fetch(`${s.httpUrl}/v0/file/upload`, { method: 'POST', headers: auth, body: 'raw bytes' });
      assert.deepEqual([bare.status, await bare.text()], [400, 'failed to parse form\n']);
      const broken = await fetch(`${s.httpUrl}/v0/file/upload`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'multipart/form-data; boundary=xyz' },
        body: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nunterminated',
      });
      assert.equal(broken.status, 400);
      const fields = new FormData();
      fields.append('name', 'no file here');
      const noFile = await fetch(`${s.httpUrl}/v0/file/upload`, { method: 'POST', headers: auth, body: fields });
      assert.deepEqual([noFile.status, await noFile.text()], [400, 'missing file\n']);
      const other = await upload(s, u.token, Buffer.from('data'), { field: 'attachment' });
      assert.deepEqual([other.status, other.text], [400, 'missing file\n']);
      const empty = await upload(s, u.token, Buffer.alloc(0));
      assert.deepEqual([empty.status, empty.text], [400, 'empty file\n']);
      const get = await fetch(`${s.httpUrl}/v0/file/upload`, { headers: auth });
      assert.equal(get.status, 405);
      assert.match(get.headers.get('allow') ?? '', /POST/);
      const del = await fetch(`${s.httpUrl}/v0/file/${'1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed'}`, { method: 'DELETE', headers: auth });
      assert.equal(del.status, 405);
      assert.match(del.headers.get('allow') ?? '', /GET, HEAD/);
      u.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] uploads over the size limit get 413 and leave nothing behind`, async () => {
    const limit = 64 * 1024;
    const s = await startServer(backend, { uploadMaxBytes: limit });
    try {
      const u = await s.user();
      const atLimit = await upload(s, u.token, Buffer.alloc(limit, 7));
      assert.equal(atLimit.status, 201);
      const over = await upload(s, u.token, Buffer.alloc(limit + 1, 7));
      assert.deepEqual([over.status, over.text], [413, `file too large (limit ${limit} bytes)\n`]);
      // Far over the limit: refused from Content-Length alone, before the body is read.
      const huge = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          `${s.httpUrl}/v0/file/upload`,
          {
            method: 'POST',
            headers: { authorization: `Bearer ${u.token}`, 'content-type': 'multipart/form-data; boundary=b', 'content-length': String(50 * 1024 * 1024) },
          },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.write('--b\r\n');
      });
      assert.deepEqual(huge, { status: 413, body: `file too large (limit ${limit} bytes)\n` });
      const rows = await s.app.deps.stores.db.kysely.selectFrom('files').select('id').execute();
      assert.equal(rows.length, 1);
      assert.deepEqual(readdirSync(path.join(s.config.dataDir, 'files', 'tmp')), []);
      u.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] uploads are rate limited per user`, async () => {
    const s = await startServer(backend, { uploadRate: 3 });
    try {
      const u = await s.user();
      const v = await s.user();
      const codes = [];
      for (let i = 0; i < 5; i++) codes.push((await upload(s, u.token, Buffer.from(`file ${i}`))).status);
      assert.deepEqual(codes, [201, 201, 201, 429, 429]);
      const limited = await upload(s, u.token, Buffer.from('again'));
      assert.equal(limited.text, 'too many uploads\n');
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
      assert.equal((await upload(s, v.token, Buffer.from('other user'))).status, 201);
      u.client.close();
      v.client.close();
    } finally {
      await s.close();
    }
  });
}
