import type { Config, LoadedConfig } from '../config/index.js';
import type { Logger } from '../shared/index.js';
import { RedisConnections, type RedisClient } from './connections.js';
import { joinEmbeddedRedis, type EmbeddedRedis } from './embedded-redis.js';
import { DEFAULT_PREFIX } from './keys.js';
import { whenReady } from './ready.js';
import { redisTarget } from './target.js';

const CONNECT_TIMEOUT_MS = 5_000;

export interface ConfiguredRedis {
  config: Config;
  /** The key prefix (hash tag) every Airlock key of this deployment lives under. */
  prefix: string;
  /** The fail-fast request client (`connections.request`), ready. */
  client: RedisClient;
  /** For modules that need more than the request client (the approval engine's subscriber). */
  connections: RedisConnections;
}

/**
 * For CLI commands: the Redis of the loaded config, or the embedded one of its data directory
 * (joined for the command's duration, so it is started when no gateway runs and stopped again
 * unless a gateway uses it), connected with a fail-fast client; `body` runs, then everything is
 * cleaned up.
 */
export async function withConfiguredRedis<T>(
  loaded: LoadedConfig,
  log: Logger,
  body: (redis: ConfiguredRedis) => Promise<T>,
): Promise<T> {
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
    const target =
      config.redis === undefined
        ? (embedded = await joinEmbeddedRedis(loaded.dataDir, log)).url
        : redisTarget(config.redis);
    const connections = new RedisConnections(target);
    try {
      // A person is waiting: the first connection error is the answer.
      await whenReady(connections.request, {
        timeoutMs: CONNECT_TIMEOUT_MS,
        failOnError: true,
        where: connections.where,
      });
      return await body({
        config,
        prefix: config.redis?.prefix ?? DEFAULT_PREFIX,
        client: connections.request,
        connections,
      });
    } finally {
      await connections.close();
    }
  } finally {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    await embedded?.release();
  }
}
