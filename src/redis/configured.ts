import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { DATA_DIR, embeddedDefaultConfig, loadConfig, type Config } from '../config/index.js';
import { AirlockError, describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { connectRedis } from './connection.js';
import { startEmbeddedRedis, type EmbeddedRedis } from './embedded-redis.js';

const CONNECT_TIMEOUT_MS = 5_000;

export interface ConfiguredRedis {
  config: Config;
  url: string;
  /** The key prefix (hash tag) every Airlock key of this deployment lives under. */
  prefix: string;
  client: Redis;
}

/**
 * For CLI commands: the Redis of `--config` (or the embedded default's, started if no gateway
 * is running), connected with a fail-fast client; `body` runs, then everything is cleaned up.
 */
export async function withConfiguredRedis<T>(configFile: string | undefined, log: Logger, body: (redis: ConfiguredRedis) => Promise<T>): Promise<T> {
  const { config } = loadConfig({ ...(configFile === undefined ? {} : { file: configFile }), embedded: () => embeddedDefaultConfig() });
  let embedded: EmbeddedRedis | undefined;
  const url = config.redis?.url ?? (embedded = await startEmbeddedRedis(DATA_DIR, log)).url;
  const client = connectRedis(url, 'request');
  client.on('error', () => {});
  try {
    await ready(client, url);
    return await body({ config, url, prefix: config.redis?.prefix ?? '{airlock}', client });
  } finally {
    client.disconnect();
    if (embedded?.owned) await embedded.stop();
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
