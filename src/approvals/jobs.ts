import { Queue, Worker, type Job } from 'bullmq';
import { APPROVALS_QUEUE, type RedisClients } from '../redis/index.js';
import { describeError, type Logger } from '../shared/index.js';
import type { ApprovalView, StoredRequest } from './schema.js';

/** What the BullMQ job holds: the immutable request (the hash in Redis holds the mutable state). */
export type ApprovalJobData = Pick<
  StoredRequest,
  'grant' | 'owner' | 'server' | 'tool' | 'args' | 'fingerprint' | 'rule'
> & {
  approvalId: string;
  createdAt: number;
  expiresAt: number;
};

/** What a finished job returns: the approval's state when the worker looked. */
export interface ApprovalJobResult {
  state: string;
}

/**
 * The `approvals` queue: one job per approval, id = approval id, delayed by the approval timeout.
 * The delay is the expiry timer; a final decision promotes the job so it completes promptly.
 * The worker (when `process` is given) runs the engine's `onJobDue` for each job.
 */
export class ApprovalJobs {
  private constructor(
    private readonly queue: Queue<ApprovalJobData, ApprovalJobResult>,
    private readonly worker: Worker<ApprovalJobData, ApprovalJobResult> | undefined,
    private readonly retentionMs: number,
    private readonly log: Logger,
  ) {}

  static async start(options: {
    /** The queue runs on the request client; the worker dials its own blocking connections. */
    redis: RedisClients;
    prefix: string;
    retentionMs: number;
    log: Logger;
    concurrency: number;
    process?: (approvalId: string) => Promise<ApprovalJobResult>;
  }): Promise<ApprovalJobs> {
    const queue = new Queue<ApprovalJobData, ApprovalJobResult>(APPROVALS_QUEUE, {
      connection: options.redis.request,
      prefix: options.prefix,
    });
    queue.on('error', (error) => options.log.warn({ err: describeError(error) }, 'approvals queue error'));
    const processor = options.process;
    let worker: Worker<ApprovalJobData, ApprovalJobResult> | undefined;
    if (processor !== undefined) {
      worker = new Worker<ApprovalJobData, ApprovalJobResult>(
        APPROVALS_QUEUE,
        (job: Job<ApprovalJobData, ApprovalJobResult>) => processor(job.data.approvalId),
        {
          connection: options.redis.workerConnection(),
          prefix: options.prefix,
          concurrency: options.concurrency,
          autorun: true,
        },
      );
      worker.on('error', (error) => options.log.warn({ err: describeError(error) }, 'approvals worker error'));
      worker.on('failed', (job, error) =>
        options.log.warn({ approval: job?.id, err: describeError(error) }, 'approval job failed'),
      );
      await worker.waitUntilReady();
    }
    return new ApprovalJobs(queue, worker, options.retentionMs, options.log);
  }

  async add(view: ApprovalView): Promise<void> {
    const keep = { age: Math.ceil(this.retentionMs / 1_000) };
    const data: ApprovalJobData = {
      approvalId: view.id,
      grant: view.grant,
      ...(view.owner === undefined ? {} : { owner: view.owner }),
      server: view.server,
      tool: view.tool,
      args: view.args,
      fingerprint: view.fingerprint,
      rule: view.rule,
      createdAt: view.createdAt,
      expiresAt: view.expiresAt,
    };
    await this.queue.add('approval', data, {
      jobId: view.id,
      delay: Math.max(0, view.expiresAt - view.createdAt),
      attempts: 5,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: keep,
      removeOnFail: keep,
    });
  }

  /** Run the job now (a final decision was made). Not delayed any more, or gone: nothing to do. */
  async promote(approvalId: string): Promise<void> {
    try {
      const job = await this.queue.getJob(approvalId);
      if (job !== undefined && (await job.isDelayed())) await job.promote();
    } catch (error) {
      this.log.debug({ approval: approvalId, err: describeError(error) }, 'approval job not promoted');
    }
  }

  async jobState(approvalId: string): Promise<{ state: string; returnValue?: ApprovalJobResult } | undefined> {
    const job = await this.queue.getJob(approvalId);
    if (job === undefined) return undefined;
    return { state: await job.getState(), ...(job.returnvalue ? { returnValue: job.returnvalue } : {}) };
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
