import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../runtime/deps.js';
import { registerFileRoutes } from '../server/file-routes.js';
import { ffmpegAvailable } from '../media/av-processing.js';
import { LocalFileStorage } from '../media/local-file-storage.js';
import type { FileStorage } from '../media/file-storage.js';
import { MediaProcessor } from '../media/media-processor.js';

/** Storage under `<dataDir>/files`, the background processor and the HTTP file routes; `close` stops new processing. */
export async function setUpFiles(http: FastifyInstance, deps: Deps): Promise<{ close(): void; storage: FileStorage }> {
  const storage = new LocalFileStorage(path.join(deps.config.dataDir, 'files'));
  await storage.init();
  const processor = new MediaProcessor(deps.stores.files, storage, deps.tasks, deps.log.child({ component: 'media' }));
  registerFileRoutes(http, { node: deps, storage, processor });
  processor.start();
  void ffmpegAvailable().then((ok) => {
    if (!ok) deps.log.warn('ffprobe/ffmpeg not found: video and audio files are stored without metadata or posters');
  });
  return { close: () => processor.close(), storage };
}
