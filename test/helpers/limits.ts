import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { NormalizedLimit } from '../../src/policy/compile.js';
import type { Scope } from '../../src/policy/schema.js';
import { connectRedis, eachMaster, type RedisClient, type RedisTarget } from '../../src/redis/index.js';

/** A request-path client (fail fast, as the gateway uses) of a redis-server's socket, connected. */
export async function requestClient(socketPath: string): Promise<Redis> {
  return (await targetClient(`unix://${socketPath}`)) as Redis;
}

/** The same for any Redis: a URL, or a cluster (test-redis.ts `testRedis()`). */
export async function targetClient(target: RedisTarget): Promise<RedisClient> {
  const redis = connectRedis(target, 'request');
  redis.on('error', () => {});
  if (redis.status !== 'ready') await once(redis, 'ready');
  return redis;
}

/** A per-file key prefix with its own hash tag. */
export function testPrefix(): string {
  return `{airlock-test-${randomBytes(4).toString('hex')}}`;
}

export function makeLimit(
  counter: string,
  windowMs: number,
  max: number,
  scope: Scope = 'grant',
  rule = `/tools/${counter}/limits/0`,
): NormalizedLimit {
  return { counter, window: `${windowMs}ms`, windowMs, max, scope, rule };
}

/** Redis's clock in µs (the one the limiter uses). */
export async function redisNowUs(redis: RedisClient): Promise<number> {
  const [s, us] = await redis.time();
  return Number(s) * 1_000_000 + Number(us);
}

/** Wait (polling Redis's clock) until `us`. */
export async function waitUntilRedisTime(redis: RedisClient, us: number): Promise<void> {
  for (;;) {
    const now = await redisNowUs(redis);
    if (now >= us) return;
    await new Promise((r) => setTimeout(r, Math.min(50, Math.ceil((us - now) / 1_000))));
  }
}

/** True when no `max + 1` of these admission times (µs) fit in one window of `windowMs`. */
export function maxInAnyWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs * 1_000) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/** Deletes every key under `prefix` (on a cluster: on every master, where SCAN finds them). */
export async function deleteKeys(redis: RedisClient, prefix: string): Promise<void> {
  for (const node of eachMaster(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(
        cursor,
        'MATCH',
        `${prefix.replace(/[*?[\]\\]/gu, '\\$&')}:*`,
        'COUNT',
        1000,
      );
      if (keys.length > 0) await node.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
}
