import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnRedisServer, type RedisProcess } from '../../src/redis/index.js';

/** A throw-away redis-server on a unix socket in a temp dir (or `dir`, to restart on the same data). */
export interface TestRedis extends RedisProcess {
  socketPath: string;
}

export async function startTestRedis(
  extraArgs: string[] = [],
  dir = mkdtempSync(join(tmpdir(), 'airlock-redis-')),
): Promise<TestRedis> {
  const redis = await spawnRedisServer({ dir, persistent: false, extraArgs });
  return { ...redis, socketPath: redis.socket };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
