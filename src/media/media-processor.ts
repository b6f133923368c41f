import type { Logger } from '../logger.js';
import type { BackgroundTasks } from '../runtime/background-tasks.js';
import type { FileRecord, FileStore, MediaMetadata } from '../store/file-store.js';
import type { FileStorage } from './file-storage.js';
import { isDecodableImage, processImage } from './image-processing.js';
import { demuxerFor, ffmpegAvailable, processAudioVideo } from './av-processing.js';

export interface ProcessorOptions {
  /** Files processed at once (decoding is CPU-bound). */
  concurrency: number;
  /** Budget for one file (PROTOCOL §9.4: 2 minutes). */
  budgetMs: number;
  /** A pending file untouched this long was left by a crash or a dead node. */
  staleMs: number;
  /** A pending file older than this is given up on instead of retried again. */
  abandonMs: number;
  sweepMs: number;
}

const DEFAULTS: ProcessorOptions = { concurrency: 2, budgetMs: 120_000, staleMs: 150_000, abandonMs: 15 * 60_000, sweepMs: 60_000 };

/**
 * Turns pending files into ready or failed ones in the background (each file
 * one job owned by `tasks`, bounded by the budget). A file is never left
 * pending for good: failures and overruns mark it failed with a logged
 * reason, and pending files abandoned by a crash are taken up again by the
 * recovery sweep (at start and then periodically).
 */
/** Whether a file of this type has metadata or a thumbnail to extract. */
export function needsProcessing(mime: string): boolean {
  return isDecodableImage(mime) || demuxerFor(mime) !== null;
}

export class MediaProcessor {
  readonly #queue: FileRecord[] = [];
  readonly #queued = new Set<string>();
  readonly #opts: ProcessorOptions;
  #active = 0;
  #stopped = false;

  constructor(
    private readonly files: FileStore,
    private readonly storage: FileStorage,
    private readonly tasks: BackgroundTasks,
    private readonly log: Logger,
    options: Partial<ProcessorOptions> = {},
  ) {
    this.#opts = { ...DEFAULTS, ...options };
  }

  start(): void {
    void this.tasks.run('media recovery', () => this.recover());
    this.tasks.every('media recovery', this.#opts.sweepMs, () => this.recover());
  }

  /** Stops taking new work; what is still queued stays pending and is recovered by a later start. */
  close(): void {
    this.#stopped = true;
    this.#queue.length = 0;
  }

  enqueue(file: FileRecord): void {
    if (this.#stopped || this.#queued.has(file.id)) return;
    this.#queued.add(file.id);
    this.#queue.push(file);
    this.#pump();
  }

  async recover(): Promise<void> {
    const now = Date.now();
    const stale = await this.files.claimStalePending(new Date(now - this.#opts.staleMs), 100);
    for (const file of stale) {
      if (file.createdAt.getTime() < now - this.#opts.abandonMs) {
        this.log.warn({ file: file.id }, 'media processing never finished; marking the file failed');
        await this.files.markFailed(file.id, 'processing never finished');
      } else {
        this.log.info({ file: file.id }, 'resuming media processing left pending');
        this.enqueue(file);
      }
    }
  }

  #pump(): void {
    while (!this.#stopped && this.#active < this.#opts.concurrency) {
      const file = this.#queue.shift();
      if (!file) return;
      this.#active++;
      void this.tasks
        .run(`media ${file.id}`, () => this.#process(file), this.#opts.budgetMs)
        .finally(() => {
          this.#active--;
          this.#queued.delete(file.id);
          this.#pump();
        });
    }
  }

  async #process(file: FileRecord): Promise<void> {
    // Decoders get slightly less than the job's budget so an overrun is recorded as a failure here.
    const workMs = Math.max(1000, this.#opts.budgetMs - 5000);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`processing took longer than ${workMs} ms`)), workMs);
    });
    let meta: MediaMetadata | null;
    try {
      meta = await Promise.race([this.#analyse(file, workMs), deadline]);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.log.warn({ file: file.id, mime: file.mime, reason }, 'media processing failed');
      await this.files.markFailed(file.id, reason);
      return;
    } finally {
      clearTimeout(timer);
    }
    // A store error here is logged by the task owner; the file stays pending and the recovery sweep retries it.
    await this.files.markReady(file.id, meta);
  }

  /** Metadata for the file, or null when there is nothing to extract. */
  async #analyse(file: FileRecord, workMs: number): Promise<MediaMetadata | null> {
    const kind = file.mime.split('/')[0];
    if (!needsProcessing(file.mime)) return null;
    if (isDecodableImage(file.mime)) {
      return this.storage.withLocalPath(file.location, (p) => processImage(p, file.mime, Math.ceil(workMs / 1000)));
    }
    const demuxer = demuxerFor(file.mime);
    if ((kind === 'video' || kind === 'audio') && demuxer) {
      if (!(await ffmpegAvailable())) return null;
      return this.storage.withLocalPath(file.location, (p) => processAudioVideo(p, kind, demuxer, workMs));
    }
    return null;
  }
}
