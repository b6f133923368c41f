import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startServer, backends } from '../helpers/server.js';
import { download, images, upload, waitProcessed } from './files-support.js';

for (const backend of backends()) {
  test(`[${backend}] thumbnails fit 256×256 and carry their true type`, async () => {
    const s = await startServer(backend);
    try {
      const u = await s.user();
      const cases = [
        { bytes: await images.jpeg(640, 480), type: 'image/jpeg', format: 'jpeg', size: [256, 192] },
        { bytes: await images.png(600, 300), type: 'image/png', format: 'png', size: [256, 128] },
        { bytes: await images.gif(300, 500), type: 'image/webp', format: 'webp', size: [154, 256] },
        { bytes: await images.webp(512, 512), type: 'image/webp', format: 'webp', size: [256, 256] },
        // Small images are never enlarged.
        { bytes: await images.jpeg(100, 50), type: 'image/jpeg', format: 'jpeg', size: [100, 50] },
      ];
      for (const c of cases) {
        const r = await upload(s, u.token, c.bytes);
        assert.equal(await waitProcessed(s, u.token, r.json!.id), 200);
        const t = await download(s, u.token, r.json!.id, { thumb: true });
        assert.equal(t.status, 200);
        assert.equal(t.headers.get('content-type'), c.type);
        assert.equal(t.headers.get('content-disposition'), 'inline');
        const meta = await sharp(t.body).metadata();
        assert.equal(meta.format, c.format);
        assert.deepEqual([meta.width, meta.height], c.size);
        const row = await s.app.deps.stores.db.kysely
          .selectFrom('file_metadata')
          .select(['width', 'height'])
          .where('file_id', '=', r.json!.id)
          .executeTakeFirstOrThrow();
        const src = await sharp(c.bytes).metadata();
        assert.deepEqual([row.width, row.height], [src.width, src.height]);
      }
      // A file without a thumbnail: /thumb falls through to the file itself.
      const pdfish = await upload(s, u.token, Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n', 'latin1'));
      assert.equal(pdfish.json!.mime, 'application/pdf');
      const t = await download(s, u.token, pdfish.json!.id, { thumb: true });
      assert.equal(t.status, 200);
      assert.equal(t.headers.get('content-type'), 'application/pdf');
      assert.match(t.headers.get('content-disposition') ?? '', /^attachment/);
      u.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] downloads: headers, Range, conditional requests and HEAD`, async () => {
    const s = await startServer(backend);
    try {
      const u = await s.user();
      const bytes = await images.jpeg(800, 600);
      const id = (await upload(s, u.token, bytes, { name: 'cat photo.jpg' })).json!.id;
      assert.equal(await waitProcessed(s, u.token, id), 200);
      const full = await download(s, u.token, id);
      assert.equal(full.status, 200);
      assert.equal(full.headers.get('content-length'), String(bytes.length));
      assert.equal(full.headers.get('cache-control'), 'private, max-age=3600');
      assert.equal(full.headers.get('accept-ranges'), 'bytes');
      assert.equal(full.headers.get('x-content-type-options'), 'nosniff');
      assert.match(full.headers.get('content-disposition') ?? '', /^inline; filename="cat photo.jpg"/);
      const etag = full.headers.get('etag')!;
      const lastModified = full.headers.get('last-modified')!;
      assert.match(etag, /^"[0-9a-f]{64}"$/);
      assert.ok(lastModified);

      const part = await download(s, u.token, id, { headers: { range: 'bytes=10-19' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes 10-19/${bytes.length}`);
      assert.ok(part.body.equals(bytes.subarray(10, 20)));
      const tail = await download(s, u.token, id, { headers: { range: 'bytes=-5' } });
      assert.equal(tail.status, 206);
      assert.ok(tail.body.equals(bytes.subarray(bytes.length - 5)));
      const open = await download(s, u.token, id, { headers: { range: `bytes=${bytes.length - 3}-` } });
      assert.ok(open.body.equals(bytes.subarray(bytes.length - 3)));
      const beyond = await download(s, u.token, id, { headers: { range: `bytes=${bytes.length}-` } });
      assert.equal(beyond.status, 416);
      assert.equal(beyond.headers.get('content-range'), `bytes */${bytes.length}`);
      // A stale If-Range serves the whole (changed) file instead of a piece.
      const stale = await download(s, u.token, id, { headers: { range: 'bytes=0-9', 'if-range': '"other"' } });
      assert.equal(stale.status, 200);
      assert.equal(stale.body.length, bytes.length);

      const byEtag = await download(s, u.token, id, { headers: { 'if-none-match': etag } });
      assert.equal(byEtag.status, 304);
      assert.equal(byEtag.body.length, 0);
      assert.equal(byEtag.headers.get('etag'), etag);
      const byDate = await download(s, u.token, id, { headers: { 'if-modified-since': lastModified } });
      assert.equal(byDate.status, 304);
      const changed = await download(s, u.token, id, { headers: { 'if-none-match': '"something-else"' } });
      assert.equal(changed.status, 200);

      const head = await download(s, u.token, id, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(bytes.length));
      assert.equal(head.headers.get('content-type'), 'image/jpeg');
      assert.equal(head.body.length, 0);
      const headThumb = await download(s, u.token, id, { method: 'HEAD', thumb: true });
      assert.equal(headThumb.status, 200);
      assert.ok(Number(headThumb.headers.get('content-length')) > 0);

      // Bearer header works too, and wins over a bad query token.
      const bearer = await fetch(`${s.httpUrl}/v0/file/${id}?token=garbage`, { headers: { authorization: `Bearer ${u.token}` } });
      assert.equal(bearer.status, 200);
      // Any UUID spelling the server parses names the same file.
      assert.equal((await download(s, u.token, id.replace(/-/g, '').toUpperCase())).status, 200);
      // Same routes under the /v0/ws prefix.
      assert.equal((await fetch(`${s.httpUrl}/v0/ws/v0/file/${id}/thumb?token=${u.token}`)).status, 200);
      u.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] download errors: bad id 400, bad token 401, unknown 404`, async () => {
    const s = await startServer(backend);
    try {
      const u = await s.user();
      const id = (await upload(s, u.token, Buffer.from('some text'))).json!.id;
      const bad = await download(s, u.token, 'not-a-uuid');
      assert.deepEqual([bad.status, bad.text], [400, 'invalid file id\n']);
      // The id is checked before the token.
      assert.equal((await download(s, null, 'zzz', { thumb: true })).status, 400);
      const noToken = await download(s, null, id);
      assert.deepEqual([noToken.status, noToken.text], [401, 'unauthorized\n']);
      assert.equal((await download(s, 'garbage', id)).status, 401);
      const unknown = await download(s, u.token, '1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed');
      assert.deepEqual([unknown.status, unknown.text], [404, 'file not found\n']);
      u.client.close();
    } finally {
      await s.close();
    }
  });
}
