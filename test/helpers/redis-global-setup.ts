import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import type { RedisTarget } from '../../src/redis/index.js';
import { removeDir, startTestRedis } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's redis-server's socket (project "main" only). */
    redisPath: string;
    /** The project's Redis: that server's URL, or the Redis Cluster (test-redis.ts). */
    redisTarget: RedisTarget;
  }
}

/**
 * A throw-away data directory for anything that falls back to the default one: the suite never
 * touches a developer's `~/.local/state/airlock` or a gateway they are running from the same
 * clone. Returns its removal.
 */
export function isolateTestHome(): () => void {
  const home = mkdtempSync(join(tmpdir(), 'airlock-test-home-'));
  process.env.AIRLOCK_HOME = home;
  delete process.env.XDG_STATE_HOME;
  return () => removeDir(home);
}

/** One redis-server for the whole run (each test file uses its own key prefix), and the home above. */
export default async function setup(project: TestProject) {
  const removeHome = isolateTestHome();
  const redis = await startTestRedis();
  project.provide('redisPath', redis.socketPath);
  project.provide('redisTarget', redis.url);
  return async () => {
    await redis.stop();
    removeDir(redis.dir);
    removeHome();
  };
}
