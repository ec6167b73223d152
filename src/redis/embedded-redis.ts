import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '../shared/logger.js';
import { answersPing, spawnRedisServer } from './redis-process.js';

export interface EmbeddedRedis {
  url: string;
  /** True when this process started the server (and so stops it on exit). */
  owned: boolean;
  stop(): Promise<void>;
}

/**
 * The local redis-server behind the embedded default: data and a unix socket under `dataDir`,
 * persistence on (append-only file) so counters and held calls survive restarts. A server
 * already listening on that socket (another Airlock process, or a CLI command next to a running
 * gateway) is shared rather than duplicated.
 */
export async function startEmbeddedRedis(dataDir: string, log: Logger): Promise<EmbeddedRedis> {
  const dir = resolve(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, 'redis.sock');
  if (existsSync(socket) && (await answersPing(socket))) {
    log.info({ socket }, 'using the embedded redis-server another Airlock process started');
    return { url: `unix://${socket}`, owned: false, stop: async () => {} };
  }
  const redis = await spawnRedisServer({ dir, persistent: true });
  log.info({ socket, dir }, 'started embedded redis-server');
  return { url: redis.url, owned: true, stop: () => redis.stop() };
}
