import sharp from 'sharp';
import type { MediaMetadata } from '../store/file-store.js';

export const THUMB_BOX = 256;
const JPEG_QUALITY = 80;

// Decoders we let sharp run on uploads (no SVG, PDF or other document formats).
const IMAGE_INPUTS = new Map<string, string[]>([
  ['image/jpeg', ['jpeg']],
  ['image/png', ['png']],
  ['image/apng', ['png']],
  ['image/gif', ['gif']],
  ['image/webp', ['webp']],
  ['image/tiff', ['tiff']],
  ['image/avif', ['heif']],
  ['image/heic', ['heif']],
  ['image/heif', ['heif']],
]);

export function isDecodableImage(mime: string): boolean {
  return IMAGE_INPUTS.has(mime);
}

/**
 * Reads an image's (EXIF-oriented) size and makes a thumbnail that fits in
 * 256×256 without enlargement: PNG for PNG sources, WebP for other sources
 * with transparency (GIF, WebP, …), JPEG quality 80 otherwise. Throws when the
 * bytes do not decode as the detected format.
 */
export async function processImage(filePath: string, mime: string, timeoutSeconds: number): Promise<MediaMetadata> {
  const open = () => sharp(filePath, { failOn: 'error', limitInputPixels: 100_000_000 }).timeout({ seconds: timeoutSeconds });
  const meta = await open().metadata();
  if (!IMAGE_INPUTS.get(mime)?.includes(meta.format)) throw new Error(`decoded as ${meta.format}, expected ${mime}`);
  const { width, height } = meta.autoOrient;

  const base = open().autoOrient().resize(THUMB_BOX, THUMB_BOX, { fit: 'inside', withoutEnlargement: true });
  let out: { bytes: Buffer; mime: string };
  if (meta.format === 'png') out = { bytes: await base.png().toBuffer(), mime: 'image/png' };
  else if (meta.hasAlpha || meta.format === 'gif' || meta.format === 'webp')
    out = { bytes: await base.webp({ quality: JPEG_QUALITY }).toBuffer(), mime: 'image/webp' };
  else out = { bytes: await base.jpeg({ quality: JPEG_QUALITY }).toBuffer(), mime: 'image/jpeg' };
  return { width, height, duration: null, thumbnail: out };
}
