import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../shared/index.js';

export type RedisRole = 'request' | 'blocking';

/**
 * ioredis options from a `redis://`, `rediss://` or `unix:///path` URL. `role` picks the retry
 * behaviour: request-path clients fail fast so an agent gets a clear error while Redis is down;
 * BullMQ's blocking clients and subscribers retry forever (BullMQ requires maxRetriesPerRequest: null).
 */
function redisOptions(url: string, role: RedisRole): RedisOptions {
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

/** One client; its owner closes it. RedisConnections is how the gateway and the CLI get theirs. */
export function connectRedis(url: string, role: RedisRole): Redis {
  return new Redis(redisOptions(url, role));
}

/**
 * What a module that needs Redis is given, rather than a URL to dial: the shared request client,
 * and factories for the dedicated connections some work needs. Whoever made it closes it.
 */
export interface RedisClients {
  readonly url: string;
  /** Fail-fast (1 retry, no offline queue, 2 s timeouts), shared by every call-path module. */
  readonly request: Redis;
  /** A dedicated client for SUBSCRIBE, retrying forever; closed with the others. */
  subscriber(): Redis;
  /** Options for a BullMQ Worker, which dials (and closes) its own blocking connections from them. */
  workerConnection(): ConnectionOptions;
}

/**
 * The connections of one Redis (the configured one, or the embedded one joined), made in one
 * place: the gateway and `withConfiguredRedis` create it, hand it to the modules, close it last.
 * Connection errors are logged here, once per outage for the request client.
 */
export class RedisConnections implements RedisClients {
  readonly request: Redis;
  private readonly others: Redis[] = [];

  constructor(
    readonly url: string,
    private readonly log?: Logger,
  ) {
    this.request = connectRedis(url, 'request');
    let warned = false;
    this.request.on('error', (error: Error) => {
      if (!warned)
        log?.warn(
          { err: error.message },
          'redis unreachable; rate-limited and approval calls fail closed until it returns',
        );
      warned = true;
    });
    this.request.on('ready', () => {
      if (warned) log?.info('redis reachable again');
      warned = false;
    });
  }

  subscriber(): Redis {
    const client = connectRedis(this.url, 'blocking');
    client.on('error', (error: Error) => this.log?.debug({ err: error.message }, 'redis subscriber connection error'));
    this.others.push(client);
    return client;
  }

  workerConnection(): ConnectionOptions {
    // ioredis' own RedisOptions type (retryStrategy may be null) is wider than BullMQ's copy of it.
    return redisOptions(this.url, 'blocking') as ConnectionOptions;
  }

  /** Closes every client made here: QUIT (replies in flight still arrive), then the socket, at most QUIT_WAIT_MS later. */
  async close(): Promise<void> {
    await Promise.all([...this.others.splice(0), this.request].map(quitSoon));
  }
}

/** Long enough for a healthy Redis to answer QUIT, short enough for a stdio gateway's 1 s exit. */
const QUIT_WAIT_MS = 250;

async function quitSoon(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, QUIT_WAIT_MS)));
  await Promise.race([client.quit().catch(() => {}), late]);
  clearTimeout(timer);
  client.disconnect();
}
