import { inject } from 'vitest';
import type { RedisTarget } from '../../src/redis/index.js';
import { redisTargetEnv } from './redis-target.js';

/**
 * The Redis of this vitest project: the run's redis-server (project "main"), or a real
 * three-master Redis Cluster on loopback (project "cluster", vitest.config.ts). Test files that
 * run in both get their Redis here, so the same assertions run on both.
 */
export function testRedis(): RedisTarget {
  return inject('redisTarget');
}

/** The config file's `redis` section on the test Redis, with this prefix. */
export function testRedisSection(prefix: string): Record<string, unknown> {
  const target = testRedis();
  return typeof target === 'string' ? { url: target, prefix } : { ...target, prefix };
}

/** The environment that hands the test Redis to a fixture process (`redisTargetFromEnv` there). */
export function testRedisEnv(): Record<string, string> {
  return redisTargetEnv(testRedis());
}
