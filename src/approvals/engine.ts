import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import {
  ApprovalKeys,
  BeginCode,
  CollectCode,
  CreateCode,
  DecideCode,
  ExpireCode,
  FinishCode,
  ReapCode,
  whenReady,
  WithdrawCode,
  type RedisClient,
} from '../redis/index.js';
import { describeError, type Logger } from '../shared/index.js';
import { authorizeDecision, noGroups, type GroupResolver } from './authorize.js';
import { ChangeFeed } from './change-feed.js';
import { AgentPresence } from './presence.js';
import { alreadyDecided, ApprovalError, notFound, unavailable } from './errors.js';
import type {
  ApprovalEngineOptions,
  ApprovalEvents,
  ApprovalRequestInput,
  BeginResult,
  DecidedEvent,
  DecideResult,
  RequestResult,
  TaskRunner,
} from './engine-types.js';
import { fingerprintOf } from './fingerprint.js';
import { storedRequest } from './stored-request.js';
import { ApprovalJobs, type ApprovalJobResult } from './jobs.js';
import { newApprovalId } from './approval-id.js';
import { ReservationReleaser } from './reservations.js';
import type { ApprovalState, ApprovalView, ExecutionOutcome } from './schema.js';
import { ApprovalStore, type ScriptResult } from './store.js';

/**
 * Held calls: create or re-attach, decide, expire, withdraw, execute exactly once, wait for any
 * of it without polling. State lives in Redis (hash + Lua, BullMQ job as the expiry timer), so
 * every Airlock process sharing the Redis sees and may decide every approval. See README.md.
 */
export class ApprovalEngine {
  readonly events = new EventEmitter<ApprovalEvents>();
  readonly leaseMs: number;
  private jobs!: ApprovalJobs;
  private readonly instanceId = `${hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
  private readonly log: Logger;
  private readonly reservations: ReservationReleaser;
  private readonly resolveGroupMembers: GroupResolver;
  private taskRunner: TaskRunner | undefined;
  private readonly presence: AgentPresence;

  private constructor(
    private readonly client: RedisClient,
    private readonly store: ApprovalStore,
    private readonly feed: ChangeFeed,
    options: ApprovalEngineOptions,
  ) {
    this.log = options.log;
    this.leaseMs = options.leaseMs ?? 15_000;
    this.reservations = new ReservationReleaser(options.releaseReservation, options.log);
    this.resolveGroupMembers = options.resolveGroupMembers ?? noGroups;
    this.presence = new AgentPresence(client, store.keys, options.log);
  }

  /** On `options.redis` (request client, one subscriber, the worker's); the caller closes them after `close()`. */
  static async start(options: ApprovalEngineOptions): Promise<ApprovalEngine> {
    const keys = new ApprovalKeys(options.prefix);
    const retentionMs = options.retentionMs ?? 24 * 3_600_000;
    const { redis } = options;
    const client = redis.request;
    let engine: ApprovalEngine | undefined;
    let feed: ChangeFeed | undefined;
    try {
      await whenReady(client, { timeoutMs: 10_000 });
      const store = new ApprovalStore(client, keys, retentionMs);
      feed = new ChangeFeed(redis.subscriber(), keys.channel, options.log, (change) => engine?.emit('change', change));
      engine = new ApprovalEngine(client, store, feed, options);
      await feed.start();
      const self = engine;
      engine.jobs = await ApprovalJobs.start({
        redis,
        prefix: keys.prefix,
        retentionMs,
        log: options.log,
        concurrency: options.concurrency ?? 16,
        ...(options.processJobs === false ? {} : { process: (id: string) => self.onJobDue(id) }),
      });
      return engine;
    } catch (error) {
      await feed?.close();
      throw new ApprovalError(
        'approvals_unavailable',
        `approvals: cannot use ${redis.where}: ${describeError(error)}`,
        {},
        { cause: error },
      );
    }
  }

  /** Open an approval for this call, or re-attach to the one its fingerprint points at. */
  async request(input: ApprovalRequestInput): Promise<RequestResult> {
    const id = newApprovalId();
    let result: ScriptResult;
    try {
      result = await this.store.create(storedRequest(input, id), {
        maxPending: input.maxPending,
        timeoutMs: input.approval.timeoutMs,
      });
    } catch (error) {
      await this.reservations.release(input.reservation, id);
      throw unavailable('could not record the approval request', error);
    }
    if (result.code === CreateCode.Attached) {
      await this.reservations.release(input.reservation, result.view!.id);
      return { kind: 'attached', approval: await this.settle(result.view!) };
    }
    if (result.code === CreateCode.MaxPending) {
      await this.reservations.release(input.reservation, id);
      const pending = result.pending ?? input.maxPending;
      throw new ApprovalError(
        'max_pending_reached',
        `grant ${input.grant} already has ${pending} calls awaiting approval (max_pending ${input.maxPending}); ` +
          'wait for those to be decided or expire before making more calls that need approval',
        { maxPending: { grant: input.grant, maxPending: input.maxPending, pending } },
      );
    }
    if (result.code !== CreateCode.Created || result.view === undefined) {
      await this.reservations.release(input.reservation, id);
      throw unavailable(`unexpected answer ${result.code} from createApproval`, undefined);
    }
    try {
      await this.jobs.add(result.view);
    } catch (error) {
      await this.undoCreate(id, input.reservation);
      throw unavailable('could not schedule the approval expiry job', error);
    }
    this.emit('requested', result.view);
    return { kind: 'created', approval: result.view };
  }

  /**
   * The approval a call with these grant, server, tool and arguments would re-attach to, if any.
   * The gateway asks before reserving rate limits: a retry that collects a decision is not a new call.
   */
  async findFor(
    call: Pick<ApprovalRequestInput, 'grant' | 'server' | 'tool' | 'args'>,
  ): Promise<ApprovalView | undefined> {
    try {
      const id = await this.client.get(this.store.keys.fingerprint(fingerprintOf(call)));
      return id === null ? undefined : await this.find(id);
    } catch (error) {
      // The call path maps approvals_unavailable to the fail-closed tool result, like limits.
      if (error instanceof ApprovalError) throw error;
      throw unavailable('could not look up an approval for this call', error);
    }
  }

  /** The approval, or undefined. A read may settle it: pending past expiry → expired, dead executor → unknown. */
  async find(id: string): Promise<ApprovalView | undefined> {
    const view = await this.store.get(id);
    return view === undefined ? undefined : this.settle(view);
  }

  async get(id: string): Promise<ApprovalView> {
    const view = await this.find(id);
    if (view === undefined) throw notFound(id);
    return view;
  }

  /** How many approvals each grant has pending now, across every process (metrics). */
  pendingCounts(grants: readonly string[]): Promise<Map<string, number>> {
    return this.store.pendingCounts(grants, Date.now());
  }

  /**
   * A held request waits on `view` from now until the returned function is called (the console
   * shows the agent as waiting rather than detached). Any process sees it.
   */
  attachWaiter(view: ApprovalView): Promise<() => Promise<void>> {
    return this.presence.attach(view);
  }

  /** How many agents' requests are held open on each approval now. */
  waitingAgents(ids: readonly string[]): Promise<Map<string, number>> {
    return this.presence.counts(ids);
  }

  /** Approvals, newest first (kept for the retention period after they close). */
  async list(filter: { grant?: string; state?: ApprovalState } = {}): Promise<ApprovalView[]> {
    const ids = await this.store.ids();
    const views = await this.store.getMany(ids);
    await this.store.unindex(ids.filter((_, i) => views[i] === undefined));
    const out: ApprovalView[] = [];
    for (const view of views) {
      if (view === undefined || (filter.grant !== undefined && view.grant !== filter.grant)) continue;
      const settled = await this.settle(view);
      if (filter.state === undefined || settled.state === filter.state) out.push(settled);
    }
    return out;
  }

  /**
   * An approver's decision. The first final decision wins; a late one gets `already_decided`
   * (who, when). Approvals from distinct approvers count towards min_approvals; one denial ends it.
   */
  async decide(id: string, decision: 'approve' | 'deny', approver: string, reason = ''): Promise<DecideResult> {
    const view = await this.get(id);
    await authorizeDecision(view, decision, approver, this.resolveGroupMembers);
    const result = await this.store.decide(id, decision, approver, reason, this.reservations.enabled);
    const approval = result.view;
    switch (result.code) {
      case DecideCode.Approved:
      case DecideCode.Denied:
        await this.afterTransition(result, 'decided', { decision, approver, final: true });
        return { effect: result.code === DecideCode.Approved ? 'approved' : 'denied', approval: approval! };
      case DecideCode.Counted:
        this.emit('decided', { approval: approval!, decision, approver, final: false });
        return { effect: 'approval_counted', approval: approval! };
      case DecideCode.AlreadyApproved:
        return { effect: 'already_approved_by_you', approval: approval! };
      case DecideCode.ExpiredNow:
        await this.afterTransition(result, 'expired');
        throw alreadyDecided(approval!);
      case DecideCode.NotPending:
        throw alreadyDecided(approval!);
      default:
        throw notFound(id);
    }
  }

  /** pending → withdrawn: an operator takes the request back. The agent's next call collects it. */
  async withdraw(id: string, by: string, reason = ''): Promise<ApprovalView> {
    const result = await this.store.withdraw(id, by, reason, this.reservations.enabled);
    switch (result.code) {
      case WithdrawCode.Withdrawn:
        await this.afterTransition(result, 'withdrawn');
        return result.view!;
      case WithdrawCode.ExpiredNow:
        await this.afterTransition(result, 'expired');
        throw alreadyDecided(result.view!);
      case WithdrawCode.NotPending:
        throw alreadyDecided(result.view!);
      default:
        throw notFound(id);
    }
  }

  /**
   * Resolves with the approval once its version exceeds `sinceVersion`, or with its current view at
   * `deadline` (epoch ms) or when `signal` aborts. Event-driven (pub/sub); it re-reads on every wake.
   */
  async waitForChange(
    id: string,
    sinceVersion: number,
    options: { deadline: number; signal?: AbortSignal },
  ): Promise<ApprovalView> {
    for (;;) {
      const ticket = this.feed.register(id, sinceVersion);
      try {
        const view = await this.get(id);
        if (view.version > sinceVersion || Date.now() >= options.deadline || options.signal?.aborted) return view;
        const why = await ticket.wait(options.deadline, options.signal);
        if (why !== 'change') return await this.get(id);
      } finally {
        ticket.cancel();
      }
    }
  }

  /** approved → executing. Only a caller that gets `started: true` may run the call. */
  async beginExecution(id: string): Promise<BeginResult> {
    const executor = `${this.instanceId}/${randomBytes(4).toString('hex')}`;
    const result = await this.store.beginExecution(id, executor, this.leaseMs);
    if (result.code === BeginCode.NotFound || result.view === undefined) throw notFound(id);
    if (result.code === BeginCode.Started) return { started: true, executor, approval: result.view };
    if (result.code === BeginCode.ReapedNow) await this.afterTransition(result, 'executed');
    return { started: false, approval: result.view };
  }

  /** Keep the execution lease alive; false when it was lost (the call may be reported unknown meanwhile). */
  renewLease(id: string, executor: string): Promise<boolean> {
    return this.store.renewLease(id, executor, this.leaseMs);
  }

  /** executing → executed with the outcome and the result to hand to every later re-attach. */
  async finishExecution(
    id: string,
    executor: string,
    outcome: ExecutionOutcome,
    result: unknown,
  ): Promise<ApprovalView> {
    const r = await this.store.finishExecution(id, executor, outcome, result);
    if (r.code === FinishCode.NotFound || r.view === undefined) throw notFound(id);
    if (r.code === FinishCode.NotMine) {
      throw new ApprovalError(
        'not_executable',
        `approval ${id} is not being executed by ${executor} (state ${r.view.state})`,
        { approvalId: id },
      );
    }
    this.emit('executed', r.view);
    return r.view;
  }

  /** A denial/expiry/withdrawal reached a caller: free the fingerprint. True for the first caller. */
  async markCollected(id: string): Promise<boolean> {
    return (await this.store.markCollected(id)).code === CollectCode.Collected;
  }

  /**
   * How this process runs approved tasks: the approval's job (promoted by the final approval) calls
   * it in whichever worker takes the job; until it is set, such a job fails and BullMQ retries it.
   */
  runTasksWith(runner: TaskRunner): void {
    this.taskRunner = runner;
  }

  /** Runs an approved task here unless it runs or ran elsewhere (atomic), e.g. when its job was lost. */
  async runTask(view: ApprovalView): Promise<void> {
    if (this.taskRunner === undefined || !view.task || view.state !== 'approved') return;
    await this.taskRunner(view);
  }

  /** The BullMQ job's state (for tests and `approvals show`). */
  jobState(id: string): Promise<{ state: string; returnValue?: ApprovalJobResult } | undefined> {
    return this.jobs.jobState(id);
  }

  async close(): Promise<void> {
    await this.jobs
      ?.close()
      .catch((error: unknown) => this.log.warn({ err: describeError(error) }, 'closing the approvals queue failed'));
    await this.feed.close();
  }

  /** The expiry job ran: its delay elapsed, or a decision promoted it. */
  private async onJobDue(id: string): Promise<ApprovalJobResult> {
    const result = await this.store.expire(id, true, this.reservations.enabled);
    if (result.code === ExpireCode.NotFound || result.view === undefined) return { state: 'missing' };
    const runTask = result.view.task && result.view.state === 'approved';
    // Thrown before anything is recorded, so that the retry does it all once.
    if (runTask && this.taskRunner === undefined) throw new Error('this process cannot run approved tasks yet');
    if (result.code === ExpireCode.Expired) await this.afterTransition(result, 'expired');
    if (this.reservations.enabled) {
      // A decision made where no releaser runs (the CLI), or by a process that died before releasing.
      const due = await this.store.claimRelease(id);
      if (due !== undefined) await this.reservations.release(due.reservation, id);
    }
    if (result.view.state !== 'pending') this.emit('settled', result.view);
    if (runTask) {
      await this.runTask(result.view);
      return { state: (await this.find(id))?.state ?? 'missing' };
    }
    return { state: result.view.state };
  }

  private async settle(view: ApprovalView): Promise<ApprovalView> {
    if (view.state === 'pending' && Date.now() >= view.expiresAt) {
      const result = await this.store.expire(view.id, false, this.reservations.enabled);
      if (result.code === ExpireCode.Expired) await this.afterTransition(result, 'expired');
      return result.view ?? view;
    }
    if (view.state === 'executing') {
      const result = await this.store.reap(view.id);
      if (result.code === ReapCode.Reaped) await this.afterTransition(result, 'executed');
      return result.view ?? view;
    }
    return view;
  }

  /** What the process whose transition won does: release, tell listeners, let the job complete. */
  private async afterTransition(result: ScriptResult, event: 'expired' | 'withdrawn' | 'executed'): Promise<void>;
  private async afterTransition(
    result: ScriptResult,
    event: 'decided',
    details: Omit<DecidedEvent, 'approval'>,
  ): Promise<void>;
  private async afterTransition(
    result: ScriptResult,
    event: 'decided' | 'expired' | 'withdrawn' | 'executed',
    details?: Omit<DecidedEvent, 'approval'>,
  ): Promise<void> {
    const view = result.view!;
    if (result.reservationToRelease !== undefined)
      await this.reservations.release(result.reservationToRelease, view.id);
    if (event === 'decided') this.emit('decided', { approval: view, ...details! });
    else this.emit(event, view);
    if (event !== 'executed') await this.jobs.promote(view.id);
  }

  private async undoCreate(id: string, reservation: unknown): Promise<void> {
    try {
      const result = await this.store.withdraw(
        id,
        'airlock',
        'the expiry job could not be scheduled',
        this.reservations.enabled,
      );
      if (result.reservationToRelease !== undefined) await this.reservations.release(result.reservationToRelease, id);
    } catch (error) {
      // The hash stays pending without a job: it is expired lazily on the first read past its expiry.
      this.log.warn({ approval: id, err: describeError(error) }, 'could not undo an approval whose job was not added');
      await this.reservations.release(reservation, id);
    }
  }

  private emit<K extends keyof ApprovalEvents>(event: K, ...args: ApprovalEvents[K]): void {
    try {
      (this.events.emit as (event: K, ...args: ApprovalEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      this.log.error({ event, err: describeError(error) }, 'approval event listener failed');
    }
  }
}
