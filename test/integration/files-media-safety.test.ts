import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startServer, backends } from '../helpers/server.js';
import { download, hasFfmpeg, upload, waitProcessed } from './files-support.js';

const FFMPEG = hasFfmpeg();

/**
 * A file that type detection takes for FLV video but ffprobe, left to guess,
 * reads as an HLS playlist: an ID3v2 tag whose footer flag moves ffmpeg's
 * probe 10 bytes further than file-type's, onto `#EXTM3U`.
 */
function playlistInVideo(segment: string): Buffer {
  const id3 = Buffer.from([0x49, 0x44, 0x33, 4, 0, 0x10, 0, 0, 0, 0]);
  const playlist = `#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:3.7,\n${segment}\n#EXT-X-ENDLIST\n`;
  return Buffer.concat([id3, Buffer.from('FLV\x01'), Buffer.alloc(6, 0x20), Buffer.from(playlist)]);
}

for (const backend of backends()) {
  test(`[${backend}] a playlist hidden in a video upload cannot make ffmpeg read other files or the network`, {
    skip: FFMPEG ? false : 'ffmpeg/ffprobe not installed',
  }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mvchat-secret-'));
    // The "secret": a local clip with its own size and length, which must not show up in anyone's metadata or poster.
    const secret = path.join(dir, 'secret.mp4');
    const made = spawnSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=duration=3.7:size=176x144:rate=10',
      '-f',
      'lavfi',
      '-i',
      'sine=duration=3.7',
      '-pix_fmt',
      'yuv420p',
      '-shortest',
      secret,
    ]);
    assert.equal(made.status, 0, made.stderr.toString());
    // A named pipe: opening it for writing completes only when someone opens it for reading.
    const fifo = path.join(dir, 'pipe.ts');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    let fifoOpened = false;
    const writer = open(fifo, 'w').then((h) => {
      fifoOpened = true;
      return h.close();
    });
    const hits: string[] = [];
    const web = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.end(readFileSync(secret));
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    const webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}/secret.mp4`;
    const s = await startServer(backend);
    try {
      const u = await s.user();
      for (const segment of [`file://${secret}`, secret, webUrl, `file://${fifo}`]) {
        const r = await upload(s, u.token, playlistInVideo(segment), { name: 'clip.flv' });
        assert.equal(r.status, 201, r.text);
        assert.equal(r.json!.mime, 'video/x-flv');
        const status = await waitProcessed(s, u.token, r.json!.id);
        assert.ok(status === 200 || status === 410, `status ${status}`);
        const meta = await s.app.deps.stores.db.kysely.selectFrom('file_metadata').selectAll().where('file_id', '=', r.json!.id).executeTakeFirst();
        assert.notEqual(meta?.width, 176, `${segment}: metadata of the secret file`);
        assert.ok(meta?.duration == null || Math.abs(meta.duration - 3.7) > 0.2, `${segment}: duration of the secret file`);
        assert.equal(meta?.thumbnail ?? null, null, `${segment}: a poster made from something`);
        if (status === 200) {
          const thumb = await download(s, u.token, r.json!.id, { thumb: true });
          assert.equal(thumb.headers.get('content-type'), 'video/x-flv');
          assert.equal(
            (
              await sharp(thumb.body)
                .metadata()
                .catch(() => null)
            )?.width ?? null,
            null,
          );
        }
      }
      assert.deepEqual(hits, [], 'ffmpeg fetched a URL named inside the upload');
      assert.equal(fifoOpened, false, 'ffmpeg opened a local file named inside the upload');
      u.client.close();
    } finally {
      await s.close();
      // Unblock the writer if nobody opened the pipe.
      if (!fifoOpened) await (await open(fifo, 'r')).close();
      await writer;
      await new Promise((resolve) => web.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
