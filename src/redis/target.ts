import type { ClusterOptions, RedisOptions } from 'ioredis';

/**
 * Where a deployment's Redis is: one server's URL (`redis://`, `rediss://`, `unix://`; the
 * embedded server's too), a Redis Cluster's seed nodes, or a master that Sentinel watches. What
 * the config's `redis` section names (`redisTarget`), made into ioredis options per role here.
 */
export type RedisTarget = string | { cluster: ClusterTarget } | { sentinel: SentinelTarget };

export interface ClusterTarget {
  /** Seed nodes, `redis://` or `rediss://`; their credentials and scheme apply to every node. */
  readonly nodes: readonly string[];
}

export interface SentinelTarget {
  /** The master group name Sentinel monitors. */
  readonly name: string;
  /** The Sentinels, `redis://` or `rediss://`; their credentials are the Sentinels' own. */
  readonly sentinels: readonly string[];
  /** The master's (and its replicas') credentials, database and TLS. */
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly db?: number | undefined;
  readonly tls?: boolean | undefined;
}

/** The config's `redis` section, as far as it says where Redis is (its schema allows exactly one). */
export interface RedisSection {
  url?: string | undefined;
  cluster?: ClusterTarget | undefined;
  sentinel?: SentinelTarget | undefined;
}

export function redisTarget(section: RedisSection): RedisTarget {
  if (section.url !== undefined) return section.url;
  if (section.cluster !== undefined) return { cluster: section.cluster };
  if (section.sentinel !== undefined) return { sentinel: section.sentinel };
  throw new TypeError('the redis section names no url, cluster or sentinel');
}

export function isClusterTarget(target: RedisTarget): target is { cluster: ClusterTarget } {
  return typeof target !== 'string' && 'cluster' in target;
}

/** The target in words for messages and logs ("Redis at redis://…"), never with its credentials. */
export function describeTarget(target: RedisTarget): string {
  if (typeof target === 'string') return `Redis at ${withoutCredentials(target)}`;
  if ('cluster' in target) return `the Redis Cluster at ${target.cluster.nodes.map(withoutCredentials).join(', ')}`;
  const { name, sentinels } = target.sentinel;
  return `the Redis master "${name}" of the Sentinels at ${sentinels.map(withoutCredentials).join(', ')}`;
}

function withoutCredentials(url: string): string {
  return url.replace(/^(\w+:\/\/)[^@/]*@/u, '$1');
}

export type RedisRole = 'request' | 'blocking';

/**
 * Request-path clients fail fast so an agent gets a clear error while Redis is down; BullMQ's
 * blocking clients and subscribers retry forever (BullMQ requires maxRetriesPerRequest: null).
 */
function roleOptions(role: RedisRole) {
  return role === 'request'
    ? { maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 2_000 }
    : { maxRetriesPerRequest: null };
}

/** Reconnecting never stops: a Redis that comes back is used again. */
const retryStrategy = (attempt: number) => Math.min(attempt * 200, 2_000);

interface Endpoint {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: Record<string, never>;
}

function endpoint(url: string): Endpoint {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.pathname.length > 1 ? { db: Number(parsed.pathname.slice(1)) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** ioredis options for one server (a URL) or a Sentinel-watched master. */
export function redisOptions(target: string | { sentinel: SentinelTarget }, role: RedisRole): RedisOptions {
  const base: RedisOptions = {
    ...roleOptions(role),
    ...(role === 'request' ? { enableOfflineQueue: false } : {}),
    retryStrategy,
  };
  if (typeof target !== 'string') return { ...base, ...sentinelOptions(target.sentinel) };
  if (target.startsWith('unix://')) return { ...base, path: target.slice('unix://'.length) };
  return { ...base, ...endpoint(target) };
}

function sentinelOptions(sentinel: SentinelTarget): RedisOptions {
  const sentinels = sentinel.sentinels.map(endpoint);
  const { username, password, tls } = sentinels[0] ?? {};
  return {
    name: sentinel.name,
    // Reconnect at the Sentinels' +switch-master: until they demote the old master (their next
    // look, up to 10 s later) it still takes writes, and loses them.
    failoverDetector: true,
    sentinels: sentinels.map(({ host, port }) => ({ host, port })),
    ...(username === undefined ? {} : { sentinelUsername: username }),
    ...(password === undefined ? {} : { sentinelPassword: password }),
    ...(tls === undefined ? {} : { sentinelTLS: tls }),
    ...(sentinel.username === undefined ? {} : { username: sentinel.username }),
    ...(sentinel.password === undefined ? {} : { password: sentinel.password }),
    ...(sentinel.db === undefined ? {} : { db: sentinel.db }),
    ...(sentinel.tls === true ? { tls: {}, enableTLSForSentinelMode: true } : {}),
  };
}

/** ioredis Cluster seed nodes and options: one role's options on every node connection. */
export function clusterOptions(
  cluster: ClusterTarget,
  role: RedisRole,
): { nodes: { host: string; port: number }[]; options: ClusterOptions } {
  const nodes = cluster.nodes.map(endpoint);
  const { username, password, tls } = nodes[0] ?? {};
  return {
    nodes: nodes.map(({ host, port }) => ({ host, port })),
    options: {
      ...(role === 'request' ? { enableOfflineQueue: false } : {}),
      clusterRetryStrategy: retryStrategy,
      redisOptions: {
        ...roleOptions(role),
        ...(username === undefined ? {} : { username }),
        ...(password === undefined ? {} : { password }),
        ...(tls === undefined ? {} : { tls }),
      },
    },
  };
}
