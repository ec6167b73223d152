import { AirlockError, describeError } from '../shared/index.js';
import type { RedisClient } from './connections.js';

export interface WhenReadyOptions {
  timeoutMs: number;
  /**
   * Give up at the first connection error instead of waiting out the timeout: for a command a
   * person is waiting on. Servers wait, so a Redis that is restarting still gets its chance.
   */
  failOnError?: boolean;
  /** Names the Redis in the error (`RedisClients.where`: "Redis at <url>", a cluster, a Sentinel master). */
  where?: string;
}

/**
 * Resolves once `client` is ready (at once when it is). Rejects with `redis_unavailable`:
 * "Redis at <url> is unreachable (no answer within 5 s)", or the connection error's text.
 */
export function whenReady(client: RedisClient, options: WhenReadyOptions): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const settle = (error?: unknown) => {
      clearTimeout(timer);
      client.off('ready', onReady).off('error', onError);
      if (error === undefined) return resolve();
      const why = error === 'timeout' ? `no answer within ${seconds(options.timeoutMs)}` : describeError(error);
      reject(
        new AirlockError('redis_unavailable', `${options.where ?? 'Redis'} is unreachable (${why})`, { cause: error }),
      );
    };
    const onReady = () => settle();
    const onError = (error: Error) => {
      if (options.failOnError) settle(error);
    };
    const timer = setTimeout(() => settle('timeout'), options.timeoutMs);
    client.once('ready', onReady).on('error', onError);
  });
}

function seconds(ms: number): string {
  return ms % 1_000 === 0 ? `${ms / 1_000} s` : `${ms} ms`;
}
