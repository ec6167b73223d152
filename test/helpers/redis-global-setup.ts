import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { removeDir, startTestRedis } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisPath: string;
  }
}

/**
 * One redis-server for the whole run (each test file uses its own key prefix), and a throw-away
 * data directory for anything that falls back to the default one: the suite never touches a
 * developer's `~/.local/state/airlock` or a gateway they are running from the same clone.
 */
export default async function setup(project: TestProject) {
  const home = mkdtempSync(join(tmpdir(), 'airlock-test-home-'));
  process.env.AIRLOCK_HOME = home;
  delete process.env.XDG_STATE_HOME;
  const redis = await startTestRedis();
  project.provide('redisPath', redis.socketPath);
  return async () => {
    await redis.stop();
    removeDir(redis.dir);
    removeDir(home);
  };
}
