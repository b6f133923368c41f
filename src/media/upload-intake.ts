import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { FileStore } from '../store/file-store.js';
import type { FileStorage } from './file-storage.js';
import { needsProcessing, type MediaProcessor } from './media-processor.js';
import { detectMime } from './detect-type.js';

export interface IntakeDeps {
  files: FileStore;
  storage: FileStorage;
  processor: MediaProcessor;
  log: Logger;
}

export interface ReceivedUpload {
  uploaderId: string;
  tempPath: string;
  hash: string;
  size: number;
  originalName: string | null;
}

export type IntakeResult =
  | { ok: true; id: string; mime: string; size: number }
  | { ok: false; status: 500; text: 'failed to save file' | 'failed to create file record' };

/**
 * Turns a fully received temp file into a file record (PROTOCOL §9.2 steps
 * 4–6): type from the bytes, content stored once per hash, a new row per
 * upload, processing queued when the type has something to extract. Whether
 * the bytes were already stored changes nothing a client can see: every new
 * row is processed on its own. The temp file is consumed either way.
 */
export async function acceptUpload(deps: IntakeDeps, u: ReceivedUpload): Promise<IntakeResult> {
  let mime: string;
  try {
    mime = await detectMime(u.tempPath);
    await deps.storage.put(u.tempPath, u.hash);
  } catch (err) {
    deps.log.error({ err, uploader: u.uploaderId }, 'storing an upload failed');
    return { ok: false, status: 500, text: 'failed to save file' };
  }
  const id = randomUUID();
  try {
    // Stored bytes are left in place if this fails: another row may share them, and a later identical upload reuses them.
    const { file } = await deps.files.create({
      id,
      uploaderId: u.uploaderId,
      mime,
      size: u.size,
      originalName: u.originalName,
      location: u.hash,
      hash: u.hash,
      needsProcessing: needsProcessing(mime),
    });
    if (file.status === 'pending') deps.processor.enqueue(file);
    return { ok: true, id, mime: file.mime, size: file.size };
  } catch (err) {
    deps.log.error({ err, uploader: u.uploaderId }, 'recording an upload failed');
    return { ok: false, status: 500, text: 'failed to create file record' };
  }
}

/** A client file name made safe to store: valid UTF-8, no NUL or control characters, at most 255 characters. */
export function cleanFileName(name: string | undefined): string | null {
  if (!name) return null;
  const clean = Array.from(name.toWellFormed().replace(/[\u0000-\u001f\u007f]/g, ''))
    .slice(0, 255)
    .join('')
    .trim();
  return clean === '' ? null : clean;
}
