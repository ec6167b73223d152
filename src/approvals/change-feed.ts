import type { RedisClient } from '../redis/index.js';
import type { Logger } from '../shared/index.js';
import { ApprovalChangeSchema, type ApprovalChange } from './schema.js';

export type WakeReason = 'change' | 'deadline' | 'abort';

/** One waiter's registration: created before the waiter reads the state, so no event falls in between. */
export interface ChangeTicket {
  wait(deadline: number, signal?: AbortSignal): Promise<WakeReason>;
  cancel(): void;
}

interface Waiter {
  since: number;
  woken: boolean;
  wake?: () => void;
}

/**
 * The transition events every script publishes, fanned out to the waiters of this process. A
 * (re)subscription wakes every waiter, which then re-reads: a message lost while disconnected can
 * only delay a decision, never lose it.
 */
export class ChangeFeed {
  private readonly waiters = new Map<string, Set<Waiter>>();

  private readonly onMessage = (ch: string, message: string) => {
    if (ch === this.channel) this.dispatch(message);
  };

  // After a reconnect ioredis re-subscribes right after 'ready'; our own (idempotent) SUBSCRIBE
  // is answered after that one, so the waiters re-read only once events flow again.
  private readonly onReady = () => {
    setImmediate(() => {
      this.subscriber.subscribe(this.channel).then(
        () => this.wakeAll(),
        (error: unknown) => this.log.warn({ err: String(error) }, 'approval events: re-subscribe failed'),
      );
    });
  };

  /** `subscriber`: a dedicated connection (RedisClients.subscriber()); its owner closes it. */
  constructor(
    private readonly subscriber: RedisClient,
    private readonly channel: string,
    private readonly log: Logger,
    private readonly onChange: (change: ApprovalChange) => void,
  ) {
    subscriber.on('message', this.onMessage);
    subscriber.on('ready', this.onReady);
  }

  async start(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
  }

  register(id: string, since: number): ChangeTicket {
    const waiter: Waiter = { since, woken: false };
    let set = this.waiters.get(id);
    if (set === undefined) this.waiters.set(id, (set = new Set()));
    set.add(waiter);
    const cancel = () => {
      set.delete(waiter);
      if (set.size === 0 && this.waiters.get(id) === set) this.waiters.delete(id);
    };
    const wait = (deadline: number, signal?: AbortSignal) =>
      new Promise<WakeReason>((resolve) => {
        if (waiter.woken) return resolve('change');
        if (signal?.aborted) return resolve('abort');
        const finish = (reason: WakeReason) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          waiter.wake = undefined;
          resolve(reason);
        };
        const onAbort = () => finish('abort');
        const timer = setTimeout(() => finish('deadline'), Math.max(0, deadline - Date.now()));
        signal?.addEventListener('abort', onAbort, { once: true });
        waiter.wake = () => finish('change');
      });
    return { wait, cancel };
  }

  private dispatch(message: string): void {
    let change: ApprovalChange;
    try {
      change = ApprovalChangeSchema.parse(JSON.parse(message));
    } catch (error) {
      this.log.warn({ message, err: String(error) }, 'ignoring a malformed approval event');
      return;
    }
    for (const waiter of this.waiters.get(change.id) ?? []) {
      if (change.version > waiter.since) this.wakeOne(waiter);
    }
    try {
      this.onChange(change);
    } catch (error) {
      this.log.error({ err: String(error) }, 'approval change listener failed');
    }
  }

  private wakeAll(): void {
    for (const set of this.waiters.values()) for (const waiter of set) this.wakeOne(waiter);
  }

  private wakeOne(waiter: Waiter): void {
    waiter.woken = true;
    waiter.wake?.();
  }

  /** Wakes every waiter and stops listening; the connection itself is closed by its owner. */
  async close(): Promise<void> {
    this.subscriber.off('message', this.onMessage).off('ready', this.onReady);
    this.wakeAll();
    this.waiters.clear();
  }
}
