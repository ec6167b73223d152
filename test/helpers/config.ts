import { join } from 'node:path';
import { randomPrefix } from './approvals.js';
import { writeJson } from './paths.js';
import { testRedisSection } from './test-redis.js';

export interface TestGatewayConfig {
  upstreams: Record<string, unknown>;
  /** A policy object (written to `<dir>/<name>.policy.json`) or the path of a policy file. */
  policy: unknown;
  grants: unknown[];
  [section: string]: unknown;
}

/**
 * The airlock.config.json of a test gateway: on the project's Redis (test-redis.ts) with a key prefix of its
 * own (test files never meet in Redis), the policy written next to it. Returns the config path.
 */
export function writeGatewayConfig(
  dir: string,
  config: TestGatewayConfig,
  options: { name?: string; prefix?: string } = {},
): string {
  const name = options.name ?? 'airlock';
  const { policy, ...rest } = config;
  const policyPath = typeof policy === 'string' ? policy : writeJson(join(dir, `${name}.policy.json`), policy);
  return writeJson(join(dir, `${name}.config.json`), {
    redis: testRedisSection(options.prefix ?? randomPrefix()),
    ...rest,
    policy: policyPath,
  });
}
