import { z } from 'zod';
import { DEFAULT_PREFIX, isValidPrefix, PREFIX_RULE } from '../redis/index.js';

/** A cluster node's or a Sentinel's address: over TCP, so no unix:// socket. */
function isTcpUrl(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const { protocol, hostname } = new URL(url);
  return (protocol === 'redis:' || protocol === 'rediss:') && hostname !== '';
}

const tcpUrl = z.string().refine(isTcpUrl, 'expected a redis:// or rediss:// URL with a host');

/** One scheme and one set of credentials for every URL of a list: ioredis applies one to all. */
function sameAccess(urls: readonly string[]): boolean {
  const access = (url: string) => {
    if (!isTcpUrl(url)) return url; // reported by tcpUrl
    const { protocol, username, password } = new URL(url);
    return `${protocol}${username}:${password}`;
  };
  return urls.every((url) => access(url) === access(urls[0]!));
}

const withoutDatabase = (url: string) => !isTcpUrl(url) || new URL(url).pathname.length <= 1;

const sameAccessMessage = 'expected the same scheme and credentials in every URL (they apply to all)';

/** A Redis Cluster: seed nodes (any few of its masters; the rest are discovered). */
const ClusterSchema = z.strictObject({
  nodes: z
    .array(tcpUrl.refine(withoutDatabase, 'expected no database in the URL (a cluster has only 0)'))
    .min(1, 'expected at least one seed node')
    .refine(sameAccess, sameAccessMessage),
});

/** A master that Redis Sentinel monitors: ioredis asks the Sentinels where it is, and follows failovers. */
const SentinelSchema = z.strictObject({
  /** The master group name (`sentinel monitor <name> …`). */
  name: z.string().min(1),
  /** The Sentinels; credentials in their URLs are the Sentinels' own. */
  sentinels: z.array(tcpUrl).min(1, 'expected at least one Sentinel').refine(sameAccess, sameAccessMessage),
  /** The master's credentials, database and TLS. */
  username: z.string().optional(),
  password: z.string().optional(),
  db: z.number().int().min(0).optional(),
  tls: z.boolean().optional(),
});

const FORMS = ['url', 'cluster', 'sentinel'] as const;

/**
 * The `redis` section; omitted means the data directory's embedded redis-server. Exactly one of
 * `url` (one server), `cluster` (Redis Cluster seed nodes) or `sentinel` (a monitored master).
 */
export const RedisConfigSchema = z
  .strictObject({
    url: z
      .string()
      .regex(/^(rediss?|unix):\/\//, 'expected a redis://, rediss:// or unix:// URL')
      .optional(),
    cluster: ClusterSchema.optional(),
    sentinel: SentinelSchema.optional(),
    /** Key prefix; its {hash tag} keeps every key in one Redis Cluster slot. Separate deployments sharing a Redis use different ones. */
    prefix: z.string().refine(isValidPrefix, `expected ${PREFIX_RULE}`).default(DEFAULT_PREFIX),
  })
  .superRefine((section, ctx) => {
    const given = FORMS.filter((form) => section[form] !== undefined);
    if (given.length === 1) return;
    ctx.addIssue({
      code: 'custom',
      message:
        given.length === 0
          ? 'expected one of "url", "cluster" or "sentinel" (or no redis section, for the embedded redis-server)'
          : `expected only one of "url", "cluster" or "sentinel", got ${given.map((f) => `"${f}"`).join(' and ')}`,
    });
  });

export type RedisConfig = z.infer<typeof RedisConfigSchema>;
