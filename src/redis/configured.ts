import { once } from 'node:events';
import type { Redis } from 'ioredis';
import type { Config, LoadedConfig } from '../config/index.js';
import { AirlockError, describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { connectRedis } from './connection.js';
import { joinEmbeddedRedis, type EmbeddedRedis } from './embedded-redis.js';

const CONNECT_TIMEOUT_MS = 5_000;

export interface ConfiguredRedis {
  config: Config;
  url: string;
  /** The key prefix (hash tag) every Airlock key of this deployment lives under. */
  prefix: string;
  client: Redis;
}

/**
 * For CLI commands: the Redis of the loaded config, or the embedded one of its data directory
 * (joined for the command's duration, so it is started when no gateway runs and stopped again
 * unless a gateway uses it), connected with a fail-fast client; `body` runs, then everything is
 * cleaned up.
 */
export async function withConfiguredRedis<T>(loaded: LoadedConfig, log: Logger, body: (redis: ConfiguredRedis) => Promise<T>): Promise<T> {
  const { config } = loaded;
  let embedded: EmbeddedRedis | undefined;
  // Interrupted mid-command (Ctrl-C): still leave the embedded Redis, so it is not left behind.
  // A command that handles the signal itself (audit tail -f) ends its body, and `finally` leaves.
  const interrupted = (signal: NodeJS.Signals) => {
    if (process.listenerCount(signal) > 0) return;
    void (embedded?.release() ?? Promise.resolve()).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    const url = config.redis?.url ?? (embedded = await joinEmbeddedRedis(loaded.dataDir, log)).url;
    const client = connectRedis(url, 'request');
    client.on('error', () => {});
    try {
      await ready(client, url);
      return await body({ config, url, prefix: config.redis?.prefix ?? '{airlock}', client });
    } finally {
      client.disconnect();
    }
  } finally {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    await embedded?.release();
  }
}

async function ready(redis: Redis, url: string): Promise<void> {
  if (redis.status === 'ready') return;
  const signal = AbortSignal.timeout(CONNECT_TIMEOUT_MS);
  try {
    await once(redis, 'ready', { signal });
  } catch (error) {
    const why = signal.aborted ? `no answer within ${CONNECT_TIMEOUT_MS / 1_000} s` : describeError(error);
    throw new AirlockError('redis_unavailable', `Redis at ${url} is unreachable (${why})`);
  }
}
