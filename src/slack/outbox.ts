import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { SLACK_QUEUE, type RedisClients, type SlackKeys, type RedisClient } from '../redis/index.js';
import { describeError, type Logger } from '../shared/index.js';
import type { DeliveryErrorKind } from './message-store.js';

/** Writes per second across all processes. */
const RATE_MAX = 10;

/** sync: make the approval's message (and thread) match its current state; audit: one text to the audit channel. */
export type OutboxJob =
  { kind: 'sync'; approvalId: string; force?: boolean } | { kind: 'audit'; channel: string; text: string };

export interface OutboxRetry {
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/** Thrown by a handler that cannot send yet (another process holds the message): run again after `delayMs`, no attempt used. */
export class SendLater extends Error {
  override readonly name = 'SendLater';
  constructor(
    readonly delayMs: number,
    why: string,
  ) {
    super(why);
  }
}

export interface OutboxHandlers {
  sync(approvalId: string, force: boolean): Promise<void>;
  audit(channel: string, text: string): Promise<void>;
  /** A sync attempt failed (for deliveryNote); called before the retry is scheduled. */
  syncFailed(approvalId: string, kind: DeliveryErrorKind, message: string): Promise<void>;
}

/** Slack platform errors worth retrying; every other `ok: false` answer (channel_not_found, invalid_blocks, …) is final. */
const TRANSIENT_PLATFORM_ERRORS = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'timeout',
]);

/** How a Web API failure is handled: retried later (Retry-After wins), retried with backoff, or given up. */
export function classifySlackError(error: unknown): {
  kind: DeliveryErrorKind;
  retryAfterMs?: number;
  final: boolean;
  message: string;
} {
  const e = error as { code?: unknown; retryAfter?: unknown; data?: { error?: unknown }; statusCode?: unknown };
  const message = describeError(error);
  if (e?.code === 'slack_webapi_rate_limited_error' && typeof e.retryAfter === 'number') {
    return { kind: 'rate_limited', retryAfterMs: Math.max(0, e.retryAfter) * 1_000, final: false, message };
  }
  if (e?.code === 'slack_webapi_platform_error') {
    const code = String(e.data?.error ?? '');
    return TRANSIENT_PLATFORM_ERRORS.has(code)
      ? { kind: 'unreachable', final: false, message }
      : { kind: 'rejected', final: true, message };
  }
  return { kind: 'unreachable', final: false, message };
}

/** Exponential from `initialDelayMs`, capped at `maxDelayMs`. */
export function backoffDelay(attemptsMade: number, retry: OutboxRetry): number {
  return Math.min(retry.maxDelayMs, Math.round(retry.initialDelayMs * 2 ** Math.max(0, attemptsMade - 1)));
}

/**
 * Every Web API write is a job on the `slack` BullMQ queue (same prefix as the approvals), so a
 * Slack outage never blocks decide() or the agent, and any Airlock process may send. Attempts with
 * capped exponential backoff; a 429 pauses the queue for Slack's Retry-After without using an
 * attempt (the Web API client runs with retries: 0 and rejectRateLimitedCalls, so it surfaces).
 */
export class SlackOutbox {
  private constructor(
    private readonly queue: Queue<OutboxJob>,
    private readonly worker: Worker<OutboxJob> | undefined,
    private readonly retry: OutboxRetry,
    private readonly log: Logger,
  ) {}

  static async start(options: {
    /** The queue runs on the request client; the worker dials its own blocking connections. */
    redis: RedisClients;
    prefix: string;
    log: Logger;
    retry: OutboxRetry;
    handlers: OutboxHandlers;
    gate: RetryAfterGate;
    /** Run the worker here (gateways: yes). Default true. */
    processJobs?: boolean;
    concurrency?: number;
    /** Every failed attempt: its kind (rate_limited, transient, final) and whether it was the last. */
    onFailed?: (kind: string, final: boolean) => void;
  }): Promise<SlackOutbox> {
    const { log, handlers, retry } = options;
    const queue = new Queue<OutboxJob>(SLACK_QUEUE, { connection: options.redis.request, prefix: options.prefix });
    queue.on('error', (error) => log.warn({ err: describeError(error) }, 'slack queue error'));
    let worker: Worker<OutboxJob> | undefined;
    if (options.processJobs !== false) {
      const gate = options.gate;
      const pause = async (ms: number) => {
        await gate.hold(ms);
        await worker!.rateLimit(ms);
      };
      worker = new Worker<OutboxJob>(
        SLACK_QUEUE,
        (job, token) => run(job, token, { handlers, gate, pause, log, onFailed: options.onFailed }),
        {
          connection: options.redis.workerConnection(),
          prefix: options.prefix,
          concurrency: options.concurrency ?? 8,
          autorun: true,
          // Paces every process together, well under Slack's limits; also what lets rateLimit() pause the queue on a 429.
          limiter: { max: RATE_MAX, duration: 1_000 },
          settings: { backoffStrategy: (attemptsMade: number) => backoffDelay(attemptsMade, retry) },
        },
      );
      worker.on('error', (error) => log.warn({ err: describeError(error) }, 'slack worker error'));
      worker.on('failed', (job, error) => {
        const final =
          error.name === 'UnrecoverableError' || (job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1));
        if (final) log.error({ job: job?.name, err: describeError(error) }, 'gave up sending to Slack');
      });
      await worker.waitUntilReady();
    }
    return new SlackOutbox(queue, worker, retry, log);
  }

  /**
   * Bring the approval's message up to date. `version` dedupes: every process that learns of the
   * same transition adds the same job id, and BullMQ keeps one. No version: a forced refresh.
   */
  async sync(approvalId: string, version?: number): Promise<void> {
    const jobId = version === undefined ? undefined : `sync-${approvalId}-v${version}`;
    await this.add('sync', { kind: 'sync', approvalId, ...(version === undefined ? { force: true } : {}) }, jobId);
  }

  async audit(channel: string, text: string): Promise<void> {
    await this.add('audit', { kind: 'audit', channel, text });
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }

  private async add(name: string, data: OutboxJob, jobId?: string): Promise<void> {
    await this.queue.add(name, data, {
      ...(jobId === undefined ? {} : { jobId }),
      attempts: this.retry.attempts,
      backoff: { type: 'slack' },
      removeOnComplete: { age: 3_600, count: 5_000 },
      removeOnFail: { age: 24 * 3_600 },
    });
  }
}

/**
 * Slack's Retry-After, shared by every process and every job: set on a 429 (before the sender lets
 * go of its lock), checked before every send. The queue's own rate limit only stops jobs from
 * starting; this also stops one that started before the 429 arrived.
 */
export class RetryAfterGate {
  private readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    keys: SlackKeys,
  ) {
    this.key = keys.pausedUntil;
  }

  async remainingMs(): Promise<number> {
    const until = Number((await this.redis.get(this.key).catch(() => null)) ?? 0);
    return Math.max(0, until - Date.now());
  }

  async hold(ms: number): Promise<void> {
    await this.redis.set(this.key, String(Date.now() + ms), 'PX', Math.max(1, Math.ceil(ms))).catch(() => {});
  }

  /** Throws SendLater while Slack asked us to wait. */
  async check(): Promise<void> {
    const wait = await this.remainingMs();
    if (wait > 0) throw new SendLater(wait, `Slack asked to wait ${Math.ceil(wait / 1_000)} s (Retry-After)`);
  }

  /** Records a 429's Retry-After, if `error` is one. */
  async recordIfRateLimited(error: unknown): Promise<void> {
    const { retryAfterMs } = classifySlackError(error);
    if (retryAfterMs !== undefined) await this.hold(Math.max(retryAfterMs, 1));
  }
}

async function run(
  job: Job<OutboxJob>,
  token: string | undefined,
  {
    handlers,
    gate,
    pause,
    log,
    onFailed,
  }: {
    handlers: OutboxHandlers;
    gate: RetryAfterGate;
    pause: (ms: number) => Promise<void>;
    log: Logger;
    onFailed: ((kind: string, final: boolean) => void) | undefined;
  },
): Promise<void> {
  const data = job.data;
  const wait = await gate.remainingMs();
  if (wait > 0) return later(job, token, wait);
  try {
    if (data.kind === 'sync') await handlers.sync(data.approvalId, data.force === true);
    else await handlers.audit(data.channel, data.text);
  } catch (error) {
    if (error instanceof SendLater) return later(job, token, error.delayMs);
    const c = classifySlackError(error);
    if (data.kind === 'sync') {
      await handlers
        .syncFailed(data.approvalId, c.kind, c.message)
        .catch((e: unknown) => log.debug({ err: describeError(e) }, 'could not record a Slack failure'));
    }
    log.warn(
      {
        job: job.name,
        approval: data.kind === 'sync' ? data.approvalId : undefined,
        kind: c.kind,
        attempt: job.attemptsMade + 1,
        err: c.message,
      },
      'Slack send failed',
    );
    onFailed?.(c.kind, c.retryAfterMs === undefined && (c.final || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)));
    if (c.retryAfterMs !== undefined) {
      // Slack's Retry-After holds for every write, not just this one: pause the whole queue (all
      // processes); the job goes back to waiting without using an attempt.
      await pause(Math.max(c.retryAfterMs, 1));
      throw Worker.RateLimitError();
    }
    if (c.final) throw new UnrecoverableError(c.message);
    throw error;
  }
}

async function later(job: Job<OutboxJob>, token: string | undefined, delayMs: number): Promise<never> {
  await job.moveToDelayed(Date.now() + delayMs, token);
  throw new DelayedError();
}
