import { randomUUID } from 'node:crypto';
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import { roundRelayChannels, type CountedPubSub, type RedisClients } from '../redis/index.js';
import { describeError, type Logger } from '../shared/index.js';
import { roundGone, type HeldRef, type HeldRounds } from './held-rounds.js';
import { envelopeChannel, type TaskMethod, type UpstreamTasks } from './upstream-tasks.js';

interface RelayRequest {
  corr: string;
  from: string;
  id: string;
  answers?: Record<string, unknown>;
  /** Give the held call up, with this reason (no reply). */
  cancel?: string;
  /** Not a held call: a request about a task of this process's stdio upstream `server`. */
  task?: { server: string; method: TaskMethod; params: Record<string, unknown>; capabilities?: unknown };
}

/** Where relayed task requests are sent upstream (upstream-tasks.ts). */
type TaskSender = Pick<UpstreamTasks, 'send'>;

interface RelayReply {
  corr: string;
  result?: unknown;
  /** The result is another round of the same held call. */
  asked?: boolean;
  error?: { code: number; message: string; data?: unknown };
}

/** How long a relayed retry waits for the holding process (the upstream may take its time). */
const REPLY_TIMEOUT_MS = 10 * 60_000;

/**
 * A 2026-era retry may reach any Airlock process, but a held call (held-rounds.ts) lives in the
 * process whose upstream connection is serving it. This relays the retry's answers there over
 * Redis pub/sub and brings back its next step (the result, or another round). When no process
 * listens on the holder's channel (it restarted), the agent is told to call again.
 *
 * Requests about a task of a stdio upstream (which lives in one process's child) travel the same
 * way to that process (`relayTask`).
 */
export class RoundRelay {
  private readonly waiting = new Map<string, (reply: RelayReply) => void>();
  private tasks: TaskSender | undefined;
  private readonly channels: ReturnType<typeof roundRelayChannels>;

  private constructor(
    private readonly held: HeldRounds,
    private readonly pubsub: CountedPubSub,
    prefix: string | undefined,
    private readonly log: Logger,
  ) {
    this.channels = roundRelayChannels(prefix);
  }

  static async start(
    held: HeldRounds,
    redis: RedisClients,
    prefix: string | undefined,
    log: Logger,
  ): Promise<RoundRelay> {
    // Counted: a publish that no process hears means the holding process is gone.
    const relay = new RoundRelay(held, redis.countedPubSub(), prefix, log);
    // Redis may be down at start: the subscriber retries on its own, and resubscribes.
    await relay.pubsub
      .subscribe([relay.channels.requests(held.process), relay.channels.replies(held.process)], (channel, text) =>
        relay.onMessage(channel, text),
      )
      .catch((error: unknown) => log.warn({ err: describeError(error) }, 'round relay not subscribed yet'));
    return relay;
  }

  /** Answers a held round, here or in the process that holds it. */
  async resume(ref: HeldRef, answers: Record<string, unknown> | undefined): Promise<unknown> {
    if (ref.process === this.held.process) return this.held.resume(ref.id, answers);
    const answer = await this.exchange(ref.process, { id: ref.id, ...(answers ? { answers } : {}) }, roundGone);
    if (answer.asked) this.held.adopt(answer.result, ref);
    return answer.result;
  }

  /** Sends a task request to the process whose stdio upstream holds the task, and brings its answer. */
  async relayTask(
    process: string,
    server: string,
    method: TaskMethod,
    params: Record<string, unknown>,
    capabilities: unknown,
  ): Promise<unknown> {
    const gone = () =>
      new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `Failed to retrieve task: the Airlock process whose stdio upstream "${server}" holds this task is gone (the task went with it)`,
      );
    const task = { server, method, params, capabilities };
    return (await this.exchange(process, { id: String(params['taskId']), task }, gone)).result;
  }

  /** Serves the task requests other processes relay here. */
  serveTasks(tasks: TaskSender): void {
    this.tasks = tasks;
  }

  /** Publishes one request to `process` and waits for its reply; `gone` when nobody listens there. */
  private async exchange(
    process: string,
    body: Omit<RelayRequest, 'corr' | 'from'>,
    gone: () => Error,
  ): Promise<RelayReply> {
    const corr = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    const reply = new Promise<RelayReply>((resolve) => {
      this.waiting.set(corr, resolve);
      timer = setTimeout(
        () =>
          resolve({
            corr,
            error: { code: ProtocolErrorCode.InternalError, message: 'the holding process did not answer in time' },
          }),
        REPLY_TIMEOUT_MS,
      );
    });
    try {
      const request: RelayRequest = { corr, from: this.held.process, ...body };
      const receivers = await this.pubsub.publish(this.channels.requests(process), JSON.stringify(request));
      if (receivers === 0) throw gone();
      const answer = await reply;
      if (answer.error) throw new ProtocolError(answer.error.code, answer.error.message, answer.error.data);
      return answer;
    } finally {
      clearTimeout(timer);
      this.waiting.delete(corr);
    }
  }

  /** Gives up a held call, here or in its process (best effort: an unreachable one lets it expire). */
  async cancel(ref: HeldRef, reason: string): Promise<void> {
    if (ref.process === this.held.process) return this.held.cancel(ref.id, reason);
    const request: RelayRequest = { corr: randomUUID(), from: this.held.process, id: ref.id, cancel: reason };
    await this.pubsub.publish(this.channels.requests(ref.process), JSON.stringify(request)).catch(() => 0);
  }

  async close(): Promise<void> {
    this.held.close();
    await this.pubsub.unsubscribe().catch(() => {});
  }

  private onMessage(channel: string, text: string): void {
    let message: RelayRequest & RelayReply;
    try {
      message = JSON.parse(text) as RelayRequest & RelayReply;
    } catch {
      return;
    }
    if (channel === this.channels.replies(this.held.process)) return this.waiting.get(message.corr)?.(message);
    void this.serve(message);
  }

  private async serve(request: RelayRequest): Promise<void> {
    if (request.cancel !== undefined) return this.held.cancel(request.id, request.cancel);
    let reply: RelayReply;
    try {
      const { task } = request;
      if (task !== undefined) {
        if (this.tasks === undefined) throw new Error('this process does not serve tasks');
        const channel = envelopeChannel(task.capabilities);
        reply = {
          corr: request.corr,
          result: await this.tasks.send(task.server, task.method, task.params, {}, channel),
        };
      } else {
        const result = await this.held.resume(request.id, request.answers);
        reply = { corr: request.corr, result, asked: this.held.refOf(result) !== undefined };
      }
    } catch (error) {
      reply = {
        corr: request.corr,
        error:
          error instanceof ProtocolError
            ? { code: error.code, message: error.message, data: error.data }
            : { code: ProtocolErrorCode.InternalError, message: describeError(error) },
      };
    }
    await this.pubsub
      .publish(this.channels.replies(request.from), JSON.stringify(reply))
      .catch((error: unknown) => this.log.warn({ err: describeError(error) }, 'round relay reply not sent'));
  }
}
