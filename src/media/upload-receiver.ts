import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Streams an upload to `tempPath` while computing its SHA-256, so the file is
 * never held in memory. The source enforces the size limit (it stops early,
 * marked truncated); a failing source or disk rejects.
 */
export async function receiveToTemp(source: Readable, tempPath: string): Promise<{ hash: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(
    source,
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    },
    createWriteStream(tempPath, { flags: 'wx', mode: 0o600 }),
  );
  return { hash: hash.digest('hex'), size };
}
