import type { RedisClient } from '../redis/index.js';
import { listChains, type ChainSource } from './chains.js';
import type { AuditEvent } from './events.js';
import { readChainEvents, readStreamEvents } from './reader.js';

/** Where readers (the CLI's audit commands, replay, the console) read events: the hash-chained files, or the Redis stream. */
export type AuditSource = { kind: 'file'; chains: ChainSource } | { kind: 'stream'; redis: RedisClient; key: string };

/** Every event of the source since `sinceMs`, oldest first. */
export function sourceEvents(source: AuditSource, sinceMs?: number): AsyncGenerator<AuditEvent> {
  return source.kind === 'stream'
    ? readStreamEvents(source.redis, source.key, sinceMs)
    : readChainEvents(listChains(source.chains), sinceMs);
}
