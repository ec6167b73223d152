import { appendAuditEvents, auditStreamKey, runScript, type RedisClient } from '../redis/index.js';
import { describeError, type Logger } from '../shared/index.js';

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
 * XADD every event to the shared stream (`<prefix>:audit`, one field `e` per entry: the event's
 * JSON, the same bytes the file gets without the chain members), off the call path: `push` only queues; a pump sends
 * what is queued in batches, one script call each. Failures are logged (at most every 10 s) and counted, never thrown — the
 * file is the record of truth, the stream is for the console, the CLI and other processes.
 */
/** How long events gather before they are sent to the stream together. */
const BATCH_WINDOW_MS = 5;

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
    private readonly redis: RedisClient,
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
    // Events of a few milliseconds go in one XADD script call: a busy gateway writes to Redis far
    // less often than once per event, and the stream is the merged view, not the record of truth.
    this.pumping ??= new Promise<void>((resolve) => setTimeout(resolve, BATCH_WINDOW_MS)).then(() => this.pump());
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

  /** One round trip per batch (appendAuditEvents-1.lua loops XADD): 15 → 4 µs per event, README.md "Performance". */
  private async append(batch: string[]): Promise<void> {
    await runScript(this.redis, appendAuditEvents, [this.key], [this.maxlen, ...batch]);
  }

  private lost(count: number, why: string): void {
    this.droppedCount += count;
    const now = Date.now();
    if (now - this.lastWarning < 10_000) return;
    this.lastWarning = now;
    this.options.log.warn(
      { key: this.key, dropped: this.droppedCount, err: why },
      'audit events not written to the Redis stream (the audit file still has them)',
    );
  }
}
