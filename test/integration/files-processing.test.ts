import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import sharp from 'sharp';
import { createApp } from '../../src/app.js';
import { startServer, backends } from '../helpers/server.js';
import { download, hasFfmpeg, images, makeClip, upload, waitProcessed } from './files-support.js';

const FFMPEG = hasFfmpeg();

for (const backend of backends()) {
  test(`[${backend}] an image that does not decode is marked failed and answers 410`, async () => {
    const s = await startServer(backend);
    try {
      const u = await s.user();
      const jpeg = await images.jpeg();
      // A JPEG start marker, then garbage: detected as JPEG, undecodable.
      const broken = Buffer.concat([jpeg.subarray(0, 4), Buffer.alloc(2000, 0xab)]);
      const r = await upload(s, u.token, broken);
      assert.equal(r.json!.mime, 'image/jpeg');
      assert.equal(await waitProcessed(s, u.token, r.json!.id), 410);
      const d = await download(s, u.token, r.json!.id);
      assert.deepEqual([d.status, d.text], [410, 'file processing failed\n']);
      assert.equal((await download(s, u.token, r.json!.id, { thumb: true })).status, 410);
      const row = await s.app.deps.stores.db.kysely.selectFrom('files').select('status').where('id', '=', r.json!.id).executeTakeFirstOrThrow();
      assert.equal(row.status, 'failed');
      u.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] pending files answer 409 and are taken up again after a restart`, async () => {
    const s = await startServer(backend);
    try {
      const u = await s.user();
      const bytes = await images.jpeg(400, 400);
      const done = (await upload(s, u.token, bytes)).json!;
      assert.equal(await waitProcessed(s, u.token, done.id), 200);
      const { kysely } = s.app.deps.stores.db;
      const source = await kysely.selectFrom('files').selectAll().where('id', '=', done.id).executeTakeFirstOrThrow();
      // Rows as a crash would leave them: pending, nobody working on them.
      const recent = new Date(Date.now() - 5 * 60_000);
      const ancient = new Date(Date.now() - 60 * 60_000);
      const orphan = '7d3e1f52-59c4-4f0e-9d4c-2a7b0e5c8f11';
      const abandoned = '0c8a4d6e-3b1f-4a2e-8f5d-6e9c1b7a2d40';
      for (const [id, at] of [
        [orphan, recent],
        [abandoned, ancient],
      ] as const) {
        await kysely
          .insertInto('files')
          .values({
            id,
            uploader_id: u.id,
            mime_type: 'image/jpeg',
            size: source.size,
            location: source.location,
            hash: source.hash,
            status: 'pending',
            created_at: at,
            updated_at: at,
          })
          .execute();
      }
      const pending = await download(s, u.token, orphan);
      assert.deepEqual([pending.status, pending.text], [409, 'file not ready\n']);
      assert.ok(pending.headers.get('retry-after'));

      await s.app.close();
      const again = await createApp(s.config, { logger: pino({ level: process.env.MVCHAT_TEST_LOG ?? 'silent' }) });
      try {
        const port = await again.listen();
        const restarted = { ...s, httpUrl: `http://127.0.0.1:${port}` };
        assert.equal(await waitProcessed(restarted, u.token, orphan), 200);
        const thumb = await download(restarted, u.token, orphan, { thumb: true });
        assert.equal(thumb.headers.get('content-type'), 'image/jpeg');
        assert.equal((await sharp(thumb.body).metadata()).width, 256);
        assert.equal(await waitProcessed(restarted, u.token, abandoned), 410);
      } finally {
        await again.close();
      }
      u.client.close();
    } finally {
      await s.close();
    }
  });

  test(`[${backend}] video and audio: metadata and a JPEG poster frame via ffmpeg`, {
    skip: FFMPEG ? false : 'ffmpeg/ffprobe not installed: video and audio processing not tested',
  }, async () => {
    const s = await startServer(backend);
    try {
      const u = await s.user();
      const video = makeClip('mp4');
      const v = (await upload(s, u.token, video, { name: 'clip.mp4' })).json!;
      assert.equal(v.mime, 'video/mp4');
      assert.equal(await waitProcessed(s, u.token, v.id), 200);
      const { kysely } = s.app.deps.stores.db;
      const vm = await kysely.selectFrom('file_metadata').selectAll().where('file_id', '=', v.id).executeTakeFirstOrThrow();
      assert.deepEqual([vm.width, vm.height], [320, 240]);
      assert.ok(Math.abs(vm.duration! - 2) < 0.2, `duration ${vm.duration}`);
      const poster = await download(s, u.token, v.id, { thumb: true });
      assert.equal(poster.headers.get('content-type'), 'image/jpeg');
      const pm = await sharp(poster.body).metadata();
      assert.deepEqual([pm.format, pm.width, pm.height], ['jpeg', 256, 192]);
      const full = await download(s, u.token, v.id);
      assert.equal(full.headers.get('content-type'), 'video/mp4');
      assert.match(full.headers.get('content-disposition') ?? '', /^inline/);
      assert.ok(full.body.equals(video));

      const audio = (await upload(s, u.token, makeClip('wav'))).json!;
      assert.match(audio.mime, /^audio\//);
      assert.equal(await waitProcessed(s, u.token, audio.id), 200);
      const am = await kysely.selectFrom('file_metadata').selectAll().where('file_id', '=', audio.id).executeTakeFirstOrThrow();
      assert.ok(Math.abs(am.duration! - 1.5) < 0.1, `duration ${am.duration}`);
      assert.equal(am.thumbnail, null);
      // No poster: /thumb serves the audio itself.
      assert.equal((await download(s, u.token, audio.id, { thumb: true })).headers.get('content-type'), audio.mime);
      u.client.close();
    } finally {
      await s.close();
    }
  });
}
