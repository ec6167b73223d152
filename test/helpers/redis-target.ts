import type { RedisTarget } from '../../src/redis/index.js';

/** How a test hands its Redis (a URL, or a cluster's seed nodes) to a fixture process: JSON in one variable. */
const VARIABLE = 'REDIS_TARGET';

export function redisTargetEnv(target: RedisTarget): Record<string, string> {
  return { [VARIABLE]: JSON.stringify(target) };
}

/** In a fixture: the Redis its test handed over, or undefined when none was. */
export function redisTargetFromEnv(): RedisTarget | undefined {
  const value = process.env[VARIABLE];
  return value === undefined ? undefined : (JSON.parse(value) as RedisTarget);
}
