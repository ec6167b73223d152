import { randomBytes } from 'node:crypto';
import type { ApprovalKeys, RedisClient } from '../redis/index.js';
import { describeError, type Logger } from '../shared/index.js';
import type { ApprovalView } from './schema.js';

/** How long one registration counts without a refresh: a holder that died drops out within this. */
const PRESENCE_TTL_MS = 15_000;
const REFRESH_EVERY_MS = 5_000;

/**
 * Which agents are waiting on an approval right now: every held request registers in a ZSET
 * (member → until), refreshes it while it waits and removes it when it returns, so the console
 * can tell "the agent waits" from "detached: it will collect the decision when it calls again",
 * across processes. A crashed holder's entry lapses after PRESENCE_TTL_MS. Each change is
 * announced on the approval channel (same version: waiters of the state are not woken, the
 * console re-renders).
 */
export class AgentPresence {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: ApprovalKeys,
    private readonly log: Logger,
  ) {}

  /** Registers one waiting request on `view`; the returned function takes it back (idempotent). */
  async attach(view: ApprovalView): Promise<() => Promise<void>> {
    const key = this.keys.waiters(view.id);
    const member = randomBytes(8).toString('hex');
    const mark = () =>
      this.redis
        .multi()
        .zadd(key, Date.now() + PRESENCE_TTL_MS, member)
        .pexpire(key, PRESENCE_TTL_MS * 2)
        .exec();
    await mark();
    await this.announce(view);
    const refresh = setInterval(() => {
      mark().catch((error: unknown) => this.log.debug({ err: describeError(error) }, 'presence not refreshed'));
    }, REFRESH_EVERY_MS);
    refresh.unref();
    let left = false;
    return async () => {
      if (left) return;
      left = true;
      clearInterval(refresh);
      await this.redis.zrem(key, member);
      await this.announce(view);
    };
  }

  /** How many agents wait on each approval now (0 for none), across every process. */
  async counts(ids: readonly string[]): Promise<Map<string, number>> {
    const now = Date.now();
    const counts = await Promise.all(ids.map((id) => this.redis.zcount(this.keys.waiters(id), `(${now}`, '+inf')));
    return new Map(ids.map((id, i) => [id, counts[i]!]));
  }

  private async announce(view: ApprovalView): Promise<void> {
    const change = { id: view.id, version: view.version, state: view.state };
    await this.redis.publish(this.keys.channel, JSON.stringify(change));
  }
}
