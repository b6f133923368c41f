import type { AppOptions } from '../app.js';

/** Redis-backed bus and presence for cluster mode. */
export const clusterWiring: NonNullable<AppOptions['cluster']> = async () => {
  throw new Error('cluster mode (REDIS_URL) is not available in this build');
};
