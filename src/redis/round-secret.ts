import { randomBytes } from 'node:crypto';
import type { RedisClient } from './connections.js';
import { consoleSecretKey, roundStateSecretKey } from './keys.js';

/**
 * The deployment's secret for sealing input_required `requestState`: made by whichever process
 * asks first (SET NX), then read by every other, so a retry may land on any process. It never
 * expires; deleting the key invalidates the rounds in flight (their agents get "invalid
 * requestState" and start the call again).
 */
export async function roundStateSecret(redis: RedisClient, prefix?: string): Promise<string> {
  return sharedSecret(redis, roundStateSecretKey(prefix));
}

/** The console's cookie and CSRF key, made and shared the same way; deleting it logs everyone out. */
export async function consoleSecret(redis: RedisClient, prefix?: string): Promise<string> {
  return sharedSecret(redis, consoleSecretKey(prefix));
}

async function sharedSecret(redis: RedisClient, key: string): Promise<string> {
  await redis.set(key, randomBytes(32).toString('base64url'), 'NX');
  const secret = await redis.get(key);
  if (secret === null) throw new Error(`${key} vanished right after it was set`);
  return secret;
}
