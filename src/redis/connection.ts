import { Redis, type RedisOptions } from 'ioredis';

/**
 * ioredis options from a `redis://`, `rediss://` or `unix:///path` URL. `role` picks the retry
 * behaviour: request-path clients fail fast so an agent gets a clear error while Redis is down;
 * BullMQ's blocking clients must retry forever (BullMQ requires maxRetriesPerRequest: null).
 */
export function redisOptions(url: string, role: 'request' | 'blocking'): RedisOptions {
  const base: RedisOptions =
    role === 'request'
      ? { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000, commandTimeout: 2_000 }
      : { maxRetriesPerRequest: null };
  const retry = { retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000) };
  if (url.startsWith('unix://')) return { ...base, ...retry, path: url.slice('unix://'.length) };
  const parsed = new URL(url);
  return {
    ...base,
    ...retry,
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.pathname.length > 1 ? { db: Number(parsed.pathname.slice(1)) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

export function connectRedis(url: string, role: 'request' | 'blocking'): Redis {
  return new Redis(redisOptions(url, role));
}
