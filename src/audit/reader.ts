import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { chainFiles, readTail, rotationStamp, withoutChainFields } from './chain.js';
import type { AuditChain } from './chains.js';
import { AUDIT_EVENT_TYPES, type AuditEvent } from './events.js';
import { AUDIT_STREAM_FIELD, type RedisClient } from '../redis/index.js';

/**
 * The read side for `airlock audit tail|query`: events from the chained files (one chain, or all
 * chains of the audit directory merged in time order) or from the Redis stream, oldest first.
 * Lines that are not audit events are skipped (`verify` is the place to report them). Following
 * files: follow.ts.
 */

const TYPES = new Set<string>(AUDIT_EVENT_TYPES);

/** An event from one file line or stream entry (chain members dropped), or undefined. */
export function parseAuditEvent(json: string): AuditEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (
    v.v !== 1 ||
    typeof v.type !== 'string' ||
    !TYPES.has(v.type) ||
    typeof v.id !== 'string' ||
    typeof v.time !== 'string'
  )
    return undefined;
  return withoutChainFields(v) as AuditEvent;
}

// ---- files

/** Every event of the chain ending in `file`; rotated files wholly older than `sinceMs` are skipped. */
export async function* readFileEvents(file: string, sinceMs?: number): AsyncGenerator<AuditEvent> {
  for (const path of chainFiles(file)) {
    const stamp = rotationStamp(file, path);
    if (sinceMs !== undefined && stamp !== undefined && stamp < sinceMs) continue;
    const handle = await open(path, 'r');
    try {
      for await (const line of createInterface({
        input: handle.createReadStream({ encoding: 'utf8' }),
        crlfDelay: Infinity,
      })) {
        const event = parseAuditEvent(line);
        if (event !== undefined) yield event;
      }
    } finally {
      await handle.close();
    }
  }
}

/**
 * The last `count` events of the chain ending in `file` (reaching into rotated files if needed);
 * `liveEnd` stops at that byte of the live file.
 */
export function tailFileEvents(file: string, count: number, liveEnd?: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  if (count <= 0) return events;
  for (const path of chainFiles(file).reverse()) {
    const lines = readTail(path, count - events.length, path === file ? liveEnd : undefined).lines;
    const parsed = lines.map((l) => parseAuditEvent(l.toString('utf8'))).filter((e) => e !== undefined);
    events.unshift(...parsed);
    if (events.length >= count) break;
  }
  return events.slice(-count);
}

/** Time order across chains: event ids are ULIDs (sortable by time, increasing within a process). */
export function byId(a: AuditEvent, b: AuditEvent): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Every event of every chain, merged in time order (each chain is already in order). */
export async function* readChainEvents(chains: readonly AuditChain[], sinceMs?: number): AsyncGenerator<AuditEvent> {
  const readers = chains.map((chain) => readFileEvents(chain.live, sinceMs));
  try {
    const heads = await Promise.all(readers.map((r) => r.next()));
    for (;;) {
      let next = -1;
      for (const [i, head] of heads.entries()) {
        if (head.done) continue;
        const best = heads[next];
        if (best === undefined || best.done || byId(head.value, best.value) < 0) next = i;
      }
      const head = heads[next];
      if (head === undefined || head.done) return;
      yield head.value;
      heads[next] = await readers[next]!.next();
    }
  } finally {
    // Stopping early (a --limit) closes every file still open.
    await Promise.all(readers.map((r) => r.return(undefined)));
  }
}

/** The last `count` events over all chains, oldest first. */
export function tailChainEvents(chains: readonly AuditChain[], count: number): AuditEvent[] {
  if (count <= 0) return [];
  return chains
    .flatMap((chain) => tailFileEvents(chain.live, count))
    .sort(byId)
    .slice(-count);
}

// ---- the Redis stream

type StreamEntry = [id: string, fields: string[]];

function entryEvent([, fields]: StreamEntry): AuditEvent | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2)
    if (fields[i] === AUDIT_STREAM_FIELD) return parseAuditEvent(fields[i + 1]!);
  return undefined;
}

/** The newest `count` events of the stream, oldest first, and the id to follow from. */
export async function tailStreamEvents(
  redis: RedisClient,
  key: string,
  count: number,
): Promise<{ events: AuditEvent[]; lastId: string }> {
  const entries = (await redis.xrevrange(key, '+', '-', 'COUNT', count)) as StreamEntry[];
  entries.reverse();
  return { events: entries.map(entryEvent).filter((e) => e !== undefined), lastId: entries.at(-1)?.[0] ?? '0-0' };
}

/** Every event from `sinceMs` on (stream ids start with the time Redis received them). */
export async function* readStreamEvents(
  redis: RedisClient,
  key: string,
  sinceMs?: number,
  pageSize = 1_000,
): AsyncGenerator<AuditEvent> {
  let start = sinceMs === undefined ? '-' : `${Math.max(0, Math.floor(sinceMs))}-0`;
  for (;;) {
    const entries = (await redis.xrange(key, start, '+', 'COUNT', pageSize)) as StreamEntry[];
    for (const entry of entries) {
      const event = entryEvent(entry);
      if (event !== undefined) yield event;
    }
    if (entries.length < pageSize) return;
    start = `(${entries.at(-1)![0]}`;
  }
}

/** Calls `onEvent` for entries added after `lastId` until `signal` aborts (XREAD BLOCK, 1 s turns). */
export async function followStream(
  redis: RedisClient,
  key: string,
  lastId: string,
  onEvent: (event: AuditEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  let id = lastId;
  while (!signal.aborted) {
    const reply = (await redis.xread('COUNT', 100, 'BLOCK', 1_000, 'STREAMS', key, id)) as
      [string, StreamEntry[]][] | null;
    for (const entry of reply?.[0]?.[1] ?? []) {
      id = entry[0];
      const event = entryEvent(entry);
      if (event !== undefined && !signal.aborted) onEvent(event);
    }
  }
}
