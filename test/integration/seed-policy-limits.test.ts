import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Redis } from 'ioredis';
import { RateLimiter } from '../../src/limits/index.js';
import { evaluate, loadPolicyFile } from '../../src/policy/index.js';
import { requestClient, testPrefix } from '../helpers/limits.js';
import { ROOT } from '../helpers/paths.js';

describe('the seed policy policies/mlflow.json', () => {
  let redis: Redis;
  beforeAll(async () => {
    redis = await requestClient(inject('redisPath'));
  });
  afterAll(() => redis.disconnect());

  it('admits the 30th copy_model_version of a grant in a minute and refuses the 31st with a retry time', async () => {
    const policy = loadPolicyFile(join(ROOT, 'policies', 'mlflow.json'));
    const limiter = new RateLimiter(redis, { prefix: testPrefix() });
    const decide = (i: number) =>
      evaluate(policy, {
        server: 'mlflow',
        tool: 'copy_model_version',
        args: { src_model_name: 'fraud-detector-dev', src_version: String(i), dst_model_name: 'fraud-detector-prod' },
      });
    const decision = decide(1);
    expect(decision.action).toBe('require_approval');
    expect(decision.limits.map((l) => `${l.counter} ${l.max}/${l.window} ${l.scope}`)).toContain(
      'copy_model_version_rate 30/minute grant',
    );

    for (let i = 1; i <= 30; i += 1) {
      const result = await limiter.reserve(decide(i).limits, { grant: 'demo', session: 's1' });
      expect(result.ok, `call ${i}`).toBe(true);
    }
    const refused = await limiter.reserve(decide(31).limits, { grant: 'demo', session: 's2' });
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.limited).toMatchObject({ counter: 'copy_model_version_rate', max: 30, window: 'minute' });
    expect(refused.limited.retryAfterMs).toBeGreaterThan(55_000);
    expect(refused.limited.retryAfterMs).toBeLessThanOrEqual(60_000);

    const otherGrant = await limiter.reserve(decide(32).limits, { grant: 'ci-agent', session: 's3' });
    expect(otherGrant.ok).toBe(true);
  });
});
