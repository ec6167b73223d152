import { consoleLoginKey, type RedisClient } from '../redis/index.js';
import { randomToken, sha256Hex } from './auth.js';

/**
 * One-time login links: the token is stored (as its SHA-256) with a short TTL and taken with
 * GETDEL, so it logs in once, on whichever Airlock process the link reaches.
 */
export async function createLoginLink(options: {
  redis: RedisClient;
  prefix: string;
  /** The console user's name (console.users[].name). */
  user: string;
  /** The listener's base URL, e.g. http://127.0.0.1:8787. */
  baseUrl: string;
  ttlMs: number;
}): Promise<string> {
  const token = randomToken();
  await options.redis.set(consoleLoginKey(options.prefix, sha256Hex(token)), options.user, 'PX', options.ttlMs, 'NX');
  return `${options.baseUrl.replace(/\/+$/u, '')}/console/login?once=${token}`;
}

/** The user a link's token logs in as, once; undefined if unknown, used or expired. */
export async function consumeLoginLink(redis: RedisClient, prefix: string, token: string): Promise<string | undefined> {
  const user = await redis.getdel(consoleLoginKey(prefix, sha256Hex(token)));
  return user ?? undefined;
}
