import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ByteRange, FileStorage, StoredObject } from './file-storage.js';

const KEY = /^[0-9a-f]{64}$/;

/** Objects on local disk under `<root>/ab/cd/<hash>`, temp uploads under `<root>/tmp/`. */
export class LocalFileStorage implements FileStorage {
  readonly #tmp: string;

  constructor(private readonly root: string) {
    this.#tmp = path.join(root, 'tmp');
  }

  /** Creates the folders and drops temp files an earlier crash left behind (older than `staleMs`). */
  async init(staleMs = 3_600_000): Promise<void> {
    await mkdir(this.#tmp, { recursive: true });
    const cutoff = Date.now() - staleMs;
    for (const name of await readdir(this.#tmp)) {
      const p = path.join(this.#tmp, name);
      const st = await stat(p).catch(() => null);
      if (st && st.mtimeMs < cutoff) await rm(p, { force: true });
    }
  }

  tempPath(): string {
    return path.join(this.#tmp, randomUUID());
  }

  async put(tempPath: string, key: string): Promise<void> {
    const target = this.#path(key);
    if (await this.stat(key)) {
      await unlink(tempPath);
      return;
    }
    await mkdir(path.dirname(target), { recursive: true });
    // Same content under the same name: a concurrent identical put replacing it is harmless.
    await rename(tempPath, target);
  }

  async stat(key: string): Promise<StoredObject | null> {
    if (!KEY.test(key)) return null;
    const st = await stat(this.#path(key)).catch(() => null);
    return st && st.isFile() ? { size: st.size, modified: st.mtime } : null;
  }

  open(key: string, range?: ByteRange): Readable {
    return createReadStream(this.#path(key), range ? { start: range.start, end: range.end } : {});
  }

  async withLocalPath<T>(key: string, fn: (path: string) => Promise<T>): Promise<T> {
    return fn(this.#path(key));
  }

  async remove(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }

  #path(key: string): string {
    if (!KEY.test(key)) throw new Error('invalid storage key');
    return path.join(this.root, key.slice(0, 2), key.slice(2, 4), key);
  }
}
