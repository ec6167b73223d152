import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { removeDir, startTestRedis } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisPath: string;
  }
}

/** One redis-server for the whole run; each test file uses its own key prefix. */
export default async function setup(project: TestProject) {
  const redis = await startTestRedis();
  project.provide('redisPath', redis.socketPath);
  return async () => {
    await redis.stop();
    removeDir(redis.dir);
  };
}
