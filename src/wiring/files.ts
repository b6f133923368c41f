import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../runtime/deps.js';
import { registerFileRoutes } from '../server/file-routes.js';
import { ffmpegAvailable } from '../media/av-processing.js';
import { LocalFileStorage } from '../media/local-file-storage.js';
import { MediaProcessor } from '../media/media-processor.js';

/** Storage under `<dataDir>/files`, the background processor and the HTTP file routes; `close` stops new processing. */
export async function setUpFiles(http: FastifyInstance, services: Services): Promise<{ close(): void }> {
  const storage = new LocalFileStorage(path.join(services.config.dataDir, 'files'));
  await storage.init();
  const processor = new MediaProcessor(services.stores.files, storage, services.tasks, services.log.child({ component: 'media' }));
  registerFileRoutes(http, { services, storage, processor });
  processor.start();
  void ffmpegAvailable().then((ok) => {
    if (!ok) services.log.warn('ffprobe/ffmpeg not found: video and audio files are stored without metadata or posters');
  });
  return processor;
}
