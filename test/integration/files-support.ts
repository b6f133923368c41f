import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { TestServer } from '../helpers/server.js';

export interface Uploaded {
  status: number;
  text: string;
  json: { id: string; mime: string; size: number; deduplicated: boolean } | null;
  headers: Headers;
}

/** A real multipart upload through fetch; `token` goes in the Bearer header unless `query` is set. */
export async function upload(
  s: TestServer,
  token: string | null,
  bytes: Buffer,
  opts: { name?: string; type?: string; field?: string; query?: boolean; prefix?: string } = {},
): Promise<Uploaded> {
  const form = new FormData();
  form.append(opts.field ?? 'file', new Blob([bytes], { type: opts.type ?? 'application/octet-stream' }), opts.name ?? 'upload.bin');
  const qs = token && opts.query ? `?token=${encodeURIComponent(token)}` : '';
  const headers: Record<string, string> = token && !opts.query ? { authorization: `Bearer ${token}` } : {};
  const res = await fetch(`${s.httpUrl}${opts.prefix ?? ''}/v0/file/upload${qs}`, { method: 'POST', body: form, headers });
  const text = await res.text();
  return { status: res.status, text, json: res.status === 201 ? JSON.parse(text) : null, headers: res.headers };
}

export async function download(
  s: TestServer,
  token: string | null,
  id: string,
  opts: { thumb?: boolean; method?: string; headers?: Record<string, string> } = {},
) {
  const qs = token ? `?token=${encodeURIComponent(token)}` : '';
  const res = await fetch(`${s.httpUrl}/v0/file/${id}${opts.thumb ? '/thumb' : ''}${qs}`, { method: opts.method ?? 'GET', headers: opts.headers ?? {} });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, body, text: body.toString('utf8'), headers: res.headers };
}

/** Polls the download until processing is over (not 409), at most ~10 s. */
export async function waitProcessed(s: TestServer, token: string, id: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const r = await download(s, token, id, { method: 'HEAD' });
    if (r.status !== 409) return r.status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`file ${id} still pending`);
}

const raw = (width: number, height: number, channels: 3 | 4) =>
  sharp({ create: { width, height, channels, background: channels === 4 ? { r: 200, g: 30, b: 30, alpha: 0.5 } : { r: 20, g: 120, b: 220 } } });

export const images = {
  jpeg: (w = 640, h = 480) => raw(w, h, 3).jpeg().toBuffer(),
  png: (w = 600, h = 300) => raw(w, h, 4).png().toBuffer(),
  gif: (w = 300, h = 500) => raw(w, h, 3).gif().toBuffer(),
  webp: (w = 512, h = 512) => raw(w, h, 4).webp().toBuffer(),
};

export function hasFfmpeg(): boolean {
  return spawnSync('ffmpeg', ['-version']).status === 0 && spawnSync('ffprobe', ['-version']).status === 0;
}

/** A clip made with ffmpeg from a lavfi source, e.g. a 2 s 320×240 MP4 or a 1.5 s WAV tone. */
export function makeClip(kind: 'mp4' | 'wav'): Buffer {
  const dir = mkdtempSync(path.join(tmpdir(), 'mvchat-clip-'));
  try {
    const out = path.join(dir, `clip.${kind}`);
    const source =
      kind === 'mp4'
        ? ['-f', 'lavfi', '-i', 'testsrc=duration=2:size=320x240:rate=10', '-pix_fmt', 'yuv420p']
        : ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1.5'];
    const r = spawnSync('ffmpeg', ['-v', 'error', ...source, out]);
    if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An Irido message carrying the file as media. */
export function mediaMessage(ref: string, mime: string, size: number) {
  return { v: 1, text: 'see attached', media: [{ type: mime.startsWith('image/') ? 'image' : 'file', ref, name: 'attachment', mime, size }] };
}
