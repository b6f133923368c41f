import { fileTypeFromFile } from 'file-type';

export const OCTET_STREAM = 'application/octet-stream';

// Types a browser could execute or render as a document from our origin.
const ACTIVE = /html|xml|script|svg/i;

/**
 * The MIME type of an uploaded file, from its bytes only (the client's claim
 * is ignored). Unknown content, and anything a browser could run as a
 * document, is plain `application/octet-stream`.
 */
export async function detectMime(filePath: string): Promise<string> {
  const found = await fileTypeFromFile(filePath);
  const mime = found?.mime;
  if (!mime || mime.length > 128 || mime.startsWith('text/') || ACTIVE.test(mime)) return OCTET_STREAM;
  return mime;
}

const INLINE_IMAGES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif', 'image/apng', 'image/bmp']);

/** Whether a browser may show the file in place; everything else is served as a download. */
export function servesInline(mime: string): boolean {
  return INLINE_IMAGES.has(mime) || mime.startsWith('audio/') || mime.startsWith('video/');
}
