import { z } from 'zod';
import { DEFAULT_PREFIX, isValidPrefix, PREFIX_RULE } from '../redis/index.js';

/** The `redis` section; omitted means the data directory's embedded redis-server. */
export const RedisConfigSchema = z.strictObject({
  url: z.string().regex(/^(rediss?|unix):\/\//, 'expected a redis://, rediss:// or unix:// URL'),
  /** Key prefix; its {hash tag} keeps every key in one Redis Cluster slot. Separate deployments sharing a Redis use different ones. */
  prefix: z.string().refine(isValidPrefix, `expected ${PREFIX_RULE}`).default(DEFAULT_PREFIX),
});

export type RedisConfig = z.infer<typeof RedisConfigSchema>;
