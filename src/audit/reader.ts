import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { chainFiles, readTail, rotatedFiles, rotationStamp, withoutChainFields } from './chain.js';
import { AUDIT_EVENT_TYPES, type AuditEvent } from './events.js';
import { STREAM_FIELD } from './stream-sink.js';

/**
 * The read side for `airlock audit tail|query`: events from the chained files or from the Redis
 * stream, oldest first. Lines that are not audit events are skipped (`verify` is the place to
 * report them).
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
  if (v.v !== 1 || typeof v.type !== 'string' || !TYPES.has(v.type) || typeof v.id !== 'string' || typeof v.time !== 'string') return undefined;
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
      for await (const line of createInterface({ input: handle.createReadStream({ encoding: 'utf8' }), crlfDelay: Infinity })) {
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

/**
 * Calls `onEvent` for the last `tail` events, then for every line appended to `file`, until
 * `signal` aborts. The tail is read up to the offset following starts from, so no line is missed
 * or repeated in between. Across rotations: the renamed file is read to its end, then every file
 * rotated after it, then the new live file from its start.
 */
export async function followFile(file: string, onEvent: (event: AuditEvent) => void, signal: AbortSignal, { tail = 0, pollMs = 200 } = {}): Promise<void> {
  let fd: number | undefined;
  let ino: number | undefined;
  let offset = 0;
  let rest = '';
  let decoder = new StringDecoder('utf8');
  const emit = (text: string) => {
    const lines = (rest + text).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const event = parseAuditEvent(line);
      if (event !== undefined) onEvent(event);
    }
  };
  const drain = () => {
    if (fd === undefined) return;
    const buffer = Buffer.alloc(64 * 1024);
    for (let n = readSync(fd, buffer, 0, buffer.length, offset); n > 0; n = readSync(fd, buffer, 0, buffer.length, offset)) {
      offset += n;
      emit(decoder.write(buffer.subarray(0, n)));
    }
  };
  const openLive = (fromEnd: boolean): boolean => {
    try {
      fd = openSync(file, 'r');
    } catch {
      return false;
    }
    const stat = fstatSync(fd);
    ino = stat.ino;
    offset = fromEnd ? stat.size : 0;
    rest = '';
    decoder = new StringDecoder('utf8');
    return true;
  };
  const inoOf = (path: string) => {
    try {
      return statSync(path).ino;
    } catch {
      return undefined;
    }
  };

  if (openLive(true)) tailFileEvents(file, tail, offset).forEach(onEvent);
  else tailFileEvents(file, tail).forEach(onEvent);
  try {
    while (!signal.aborted) {
      drain();
      const live = inoOf(file);
      if (fd === undefined) {
        if (live !== undefined && openLive(false)) continue;
      } else if (live !== undefined && live !== ino) {
        // Rotated: open the new live file first, so files rotated after that are read through it.
        const old = ino;
        closeSync(fd);
        fd = undefined;
        if (!openLive(false)) continue;
        const rotated = rotatedFiles(file);
        const from = rotated.findIndex((path) => inoOf(path) === old);
        for (const path of from < 0 ? [] : rotated.slice(from + 1)) {
          if (inoOf(path) === ino) continue;
          emit(readFileSync(path, 'utf8'));
          rest = '';
        }
        continue;
      }
      await sleep(pollMs, undefined, { signal }).catch(() => {});
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

// ---- the Redis stream

type StreamEntry = [id: string, fields: string[]];

function entryEvent([, fields]: StreamEntry): AuditEvent | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === STREAM_FIELD) return parseAuditEvent(fields[i + 1]!);
  return undefined;
}

/** The newest `count` events of the stream, oldest first, and the id to follow from. */
export async function tailStreamEvents(redis: Redis, key: string, count: number): Promise<{ events: AuditEvent[]; lastId: string }> {
  const entries = (await redis.xrevrange(key, '+', '-', 'COUNT', count)) as StreamEntry[];
  entries.reverse();
  return { events: entries.map(entryEvent).filter((e) => e !== undefined), lastId: entries.at(-1)?.[0] ?? '0-0' };
}

/** Every event from `sinceMs` on (stream ids start with the time Redis received them). */
export async function* readStreamEvents(redis: Redis, key: string, sinceMs?: number, pageSize = 1_000): AsyncGenerator<AuditEvent> {
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
export async function followStream(redis: Redis, key: string, lastId: string, onEvent: (event: AuditEvent) => void, signal: AbortSignal): Promise<void> {
  let id = lastId;
  while (!signal.aborted) {
    const reply = (await redis.xread('COUNT', 100, 'BLOCK', 1_000, 'STREAMS', key, id)) as [string, StreamEntry[]][] | null;
    for (const entry of reply?.[0]?.[1] ?? []) {
      id = entry[0];
      const event = entryEvent(entry);
      if (event !== undefined && !signal.aborted) onEvent(event);
    }
  }
}
