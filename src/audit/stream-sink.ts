import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

/**
 * The audit stream's key: `<prefix>:audit`, under the deployment's hash tag like every other
 * Airlock key. Each entry has one field, `e`, the event's JSON (the same bytes the file gets,
 * without the chain members).
 */
export function auditStreamKey(prefix: string): string {
  return `${prefix}:audit`;
}

export const STREAM_FIELD = 'e';

/**
 * One round trip and one client command per batch instead of one XADD each: the client-side cost
 * of a command dominates (measured: 15 → 4 µs per event, README.md "Performance").
 */
const APPEND_LUA = `--[[ appendAuditEvents-1.lua: XADD each event to the audit stream, capped.
  KEYS[1]  STREAM  the audit stream
  ARGV[1]  maxlen (approximate: MAXLEN ~)
  ARGV[2..n]  event JSON, one entry each (field "e")
  Output: the number of entries added ]]
for i = 2, #ARGV do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[i])
end
return #ARGV - 1`;
const APPEND_SHA1 = createHash('sha1').update(APPEND_LUA).digest('hex');

export interface StreamSinkOptions {
  prefix: string;
  /** Approximate cap (XADD MAXLEN ~). Default 100 000. */
  maxlen?: number;
  /** Events held while Redis is slow; beyond this new ones are dropped (and counted). Default 10 000. */
  maxQueue?: number;
  /** Events per round trip. Default 256. */
  batchSize?: number;
  log: Logger;
}

/**
 * XADD every event to the shared stream, off the call path: `push` only queues; a pump sends
 * what is queued in batches, one script call each. Failures are logged (at most every 10 s) and counted, never thrown — the
 * file is the record of truth, the stream is for the console, the CLI and other processes.
 */
export class StreamSink {
  readonly key: string;
  private queue: string[] = [];
  private pumping: Promise<void> | undefined;
  private droppedCount = 0;
  private lastWarning = 0;
  private readonly maxlen: number;
  private readonly maxQueue: number;
  private readonly batchSize: number;

  constructor(
    private readonly redis: Redis,
    private readonly options: StreamSinkOptions,
  ) {
    this.key = auditStreamKey(options.prefix);
    this.maxlen = options.maxlen ?? 100_000;
    this.maxQueue = options.maxQueue ?? 10_000;
    this.batchSize = options.batchSize ?? 256;
  }

  /** Events lost to a full queue or a failed XADD since start. */
  get dropped(): number {
    return this.droppedCount;
  }

  push(eventJson: string): void {
    if (this.queue.length >= this.maxQueue) {
      this.lost(1, 'the audit stream queue is full (Redis slow or down)');
      return;
    }
    this.queue.push(eventJson);
    this.pumping ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.pump());
  }

  /** Resolves when everything queued so far has been sent (or dropped). */
  async flush(): Promise<void> {
    while (this.pumping !== undefined) await this.pumping;
  }

  private async pump(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.batchSize);
        try {
          await this.append(batch);
        } catch (error) {
          this.lost(batch.length, describeError(error));
        }
      }
    } finally {
      this.pumping = undefined;
    }
  }

  private async append(batch: string[]): Promise<void> {
    try {
      await this.redis.evalsha(APPEND_SHA1, 1, this.key, this.maxlen, ...batch);
    } catch (error) {
      // A fresh or restarted Redis has an empty script cache.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      await this.redis.eval(APPEND_LUA, 1, this.key, this.maxlen, ...batch);
    }
  }

  private lost(count: number, why: string): void {
    this.droppedCount += count;
    const now = Date.now();
    if (now - this.lastWarning < 10_000) return;
    this.lastWarning = now;
    this.options.log.warn({ key: this.key, dropped: this.droppedCount, err: why }, 'audit events not written to the Redis stream (the audit file still has them)');
  }
}
