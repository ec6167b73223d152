import * as scripts from '../redis/index.js';
import {
  DecideCode,
  ExpireCode,
  runScript,
  WithdrawCode,
  type ApprovalKeys,
  type RedisScript,
  type RedisClient,
} from '../redis/index.js';
import {
  hashFromReply,
  requestFields,
  viewFromHash,
  type ApprovalView,
  type ExecutionOutcome,
  type StoredRequest,
} from './schema.js';

/** A script's answer: its code, the approval after it ran (when it exists), and whether this call owns the reservation release. */
export interface ScriptResult {
  code: number;
  view?: ApprovalView;
  /** Set when this call's transition claimed the release of the held call's reservation. */
  reservationToRelease?: unknown;
  /** createApproval's refusal: the grant's pending count. */
  pending?: number;
}

/**
 * The approval records in Redis: reads, and the transitions of the approval scripts (src/redis/scripts/). No policy here
 * (authorization, events, jobs, reservations are the engine's); every method is one round trip.
 * `releaser`: the caller will release a reservation freed by its transition itself; otherwise the
 * release is left "due" for the expiry job's worker (see README, "Reservations").
 */
export class ApprovalStore {
  constructor(
    private readonly redis: RedisClient,
    readonly keys: ApprovalKeys,
    private readonly retentionMs: number,
  ) {}

  async create(request: StoredRequest, limits: { maxPending: number; timeoutMs: number }): Promise<ScriptResult> {
    const k = this.keys;
    return this.run(
      scripts.createApproval,
      [k.approval(request.id), k.fingerprint(request.fingerprint), k.pending(request.grant), k.index],
      [
        k.channel,
        k.approvalHead,
        request.id,
        limits.maxPending,
        limits.timeoutMs,
        this.retentionMs,
        request.task === true ? '1' : '0',
        ...requestFields(request),
      ],
    );
  }

  async get(id: string): Promise<ApprovalView | undefined> {
    const hash = await this.redis.hgetall(this.keys.approval(id));
    return Object.keys(hash).length === 0 ? undefined : viewFromHash(hash);
  }

  async getMany(ids: readonly string[]): Promise<(ApprovalView | undefined)[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.approval(id));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, hash]) => {
      if (error) throw error;
      const fields = hash as Record<string, string>;
      return Object.keys(fields).length === 0 ? undefined : viewFromHash(fields);
    });
  }

  /** Every indexed id, newest first. */
  async ids(): Promise<string[]> {
    return this.redis.zrevrange(this.keys.index, 0, -1);
  }

  /** Per grant, the pending approvals not yet past their expiry (each set's score is expiresAt). */
  async pendingCounts(grants: readonly string[], now: number): Promise<Map<string, number>> {
    const counts = await Promise.all(grants.map((g) => this.redis.zcount(this.keys.pending(g), `(${now}`, '+inf')));
    return new Map(grants.map((g, i) => [g, counts[i]!]));
  }

  async unindex(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.redis.zrem(this.keys.index, ...ids);
  }

  decide(
    id: string,
    decision: 'approve' | 'deny',
    approver: string,
    reason: string,
    releaser: boolean,
  ): Promise<ScriptResult> {
    const args = [this.keys.channel, decision, approver, reason, this.retentionMs, flag(releaser)];
    return this.run(scripts.decideApproval, [this.keys.approval(id)], args, [DecideCode.Denied, DecideCode.ExpiredNow]);
  }

  expire(id: string, force: boolean, releaser: boolean): Promise<ScriptResult> {
    const args = [this.keys.channel, flag(force), this.retentionMs, flag(releaser)];
    return this.run(scripts.expireApproval, [this.keys.approval(id)], args, [ExpireCode.Expired]);
  }

  withdraw(id: string, by: string, reason: string, releaser: boolean): Promise<ScriptResult> {
    const args = [this.keys.channel, by, reason, this.retentionMs, flag(releaser)];
    return this.run(scripts.withdrawApproval, [this.keys.approval(id)], args, [
      WithdrawCode.Withdrawn,
      WithdrawCode.ExpiredNow,
    ]);
  }

  beginExecution(id: string, executor: string, leaseMs: number): Promise<ScriptResult> {
    return this.run(
      scripts.beginExecution,
      [this.keys.approval(id), this.keys.lease(id)],
      [this.keys.channel, executor, leaseMs, this.retentionMs],
    );
  }

  reap(id: string): Promise<ScriptResult> {
    return this.run(
      scripts.reapExecution,
      [this.keys.approval(id), this.keys.lease(id)],
      [this.keys.channel, this.retentionMs],
    );
  }

  async renewLease(id: string, executor: string, leaseMs: number): Promise<boolean> {
    return (await runScript(this.redis, scripts.renewLease, [this.keys.lease(id)], [executor, leaseMs])) === 1;
  }

  finishExecution(id: string, executor: string, outcome: ExecutionOutcome, result: unknown): Promise<ScriptResult> {
    return this.run(
      scripts.finishExecution,
      [this.keys.approval(id), this.keys.lease(id)],
      [this.keys.channel, executor, outcome, JSON.stringify(result ?? null), this.retentionMs],
    );
  }

  markCollected(id: string): Promise<ScriptResult> {
    return this.run(scripts.markCollected, [this.keys.approval(id)], []);
  }

  /** The reservation of a closed approval whose release nobody has done yet, now claimed by the caller. */
  async claimRelease(id: string): Promise<{ reservation: unknown } | undefined> {
    const reply = (await runScript(this.redis, scripts.claimRelease, [this.keys.approval(id)], [])) as [
      number,
      string?,
    ];
    return reply[0] === 1 && typeof reply[1] === 'string'
      ? { reservation: JSON.parse(reply[1]) as unknown }
      : undefined;
  }

  /** `releasing`: the codes that mean "this call closed an unrun approval" (and so may own its release). */
  private async run(
    script: RedisScript,
    keys: string[],
    args: (string | number)[],
    releasing: readonly number[] = [],
  ): Promise<ScriptResult> {
    const reply = (await runScript(this.redis, script, keys, args)) as [number, unknown?];
    const code = Number(reply[0]);
    if (!Array.isArray(reply[1])) return typeof reply[1] === 'number' ? { code, pending: reply[1] } : { code };
    const hash = hashFromReply(reply[1]);
    const claimed = releasing.includes(code) && hash.release === 'claimed' && hash.reservation !== undefined;
    return {
      code,
      view: viewFromHash(hash),
      ...(claimed ? { reservationToRelease: JSON.parse(hash.reservation!) as unknown } : {}),
    };
  }
}

function flag(value: boolean): string {
  return value ? '1' : '0';
}
