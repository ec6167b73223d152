import { setTimeout as sleep } from 'node:timers/promises';
import { describeError, type Logger } from '../shared/index.js';
import type { ApprovalEngine } from './engine.js';
import type { ApprovalRequestInput, RequestResult } from './engine-types.js';
import { progressMessage } from './messages.js';
import type { ApprovalView, ExecutionOutcome } from './schema.js';

export interface HoldOptions {
  engine: ApprovalEngine;
  input: ApprovalRequestInput;
  /** How long to keep the agent's request open (the grant's `hold`, default 50 s). */
  holdMs: number;
  /** The agent's request signal: cancel or disconnect detaches (the approval stays decidable). */
  signal?: AbortSignal;
  /**
   * Aborted when this process is shutting down: the hold answers `pending` at once (the approval
   * stays in Redis for the agent's retry, here or on another process) and starts no execution.
   */
  drain?: AbortSignal;
  /** Sends a notifications/progress text (only when the request carried a progress token). */
  progress?: (message: string, view: ApprovalView) => Promise<void>;
  /** Progress cadence; default 15 s (the upper bound). */
  progressEveryMs?: number;
  /**
   * Runs the call upstream. Called at most once per approval across all processes, and only by
   * the holder that won the atomic `executing` mark. See `ExecuteCall`.
   */
  execute: ExecuteCall;
  /** Told whether the call opened an approval or re-attached to one (for audit and Slack). */
  onRequest?: (request: RequestResult) => void;
  log?: Logger;
}

/**
 * Runs an approved call upstream. Return the upstream's answer (`isError` for a tool error;
 * `failed` when it answered with a JSON-RPC error, which is then the `result`); throw only when it
 * is unknown whether the call took effect.
 */
export type ExecuteCall = () => Promise<{ result: unknown; isError: boolean; failed?: boolean }>;

export type HoldOutcome =
  /**
   * The upstream's result: run now by this holder, or stored by an earlier execution (ranNow
   * false). `outcome` failed: `result` is the JSON-RPC error the upstream answered with.
   */
  | {
      kind: 'executed';
      result: unknown;
      isError: boolean;
      outcome: 'ok' | 'error' | 'failed';
      ranNow: boolean;
      view: ApprovalView;
    }
  | { kind: 'denied' | 'expired' | 'withdrawn'; view: ApprovalView }
  /** The hold window ended first (pending, or approved and running in another request). */
  | { kind: 'pending'; view: ApprovalView }
  /** Started but never finished (an executor died), or execute() threw: never run again. */
  | { kind: 'unknown'; view: ApprovalView; error?: string }
  /** The agent cancelled or went away; the approval goes on without it. */
  | { kind: 'detached'; view?: ApprovalView };

const REDIS_RETRY_MS = 250;

/**
 * The hold orchestration (MCP-agnostic): request or re-attach, wait event-driven for a decision
 * with progress texts, execute exactly once when approved, or return what the agent should read.
 * ApprovalError from the request (max_pending_reached, approvals_unavailable) is thrown.
 */
export async function holdForDecision(options: HoldOptions): Promise<HoldOutcome> {
  const { engine, signal, drain } = options;
  const wake = drain === undefined ? signal : signal === undefined ? drain : AbortSignal.any([signal, drain]);
  const deadline = Date.now() + options.holdMs;
  const requested = await engine.request(options.input);
  options.onRequest?.(requested);
  const leave = await engine.attachWaiter(requested.approval).catch((error: unknown) => {
    options.log?.debug({ err: describeError(error) }, 'waiting agent not registered');
    return undefined;
  });
  try {
    return await waitAndSettle(options, requested.approval, deadline, wake);
  } finally {
    // Not awaited: the agent's answer never waits on Redis for bookkeeping (a lapsed entry expires).
    void leave?.().catch((error: unknown) =>
      options.log?.debug({ err: describeError(error) }, 'waiting agent not unregistered'),
    );
  }
}

async function waitAndSettle(
  options: HoldOptions,
  approval: ApprovalView,
  deadline: number,
  wake: AbortSignal | undefined,
): Promise<HoldOutcome> {
  const { engine, signal, drain } = options;
  const every = Math.max(1, options.progressEveryMs ?? 15_000);
  let view = approval;
  let nextProgress = Date.now();

  for (;;) {
    const step = await settle(options, view);
    if (step.outcome !== undefined) return step.outcome;
    if (step.view !== view) {
      view = step.view;
      continue;
    }
    if (signal?.aborted) return { kind: 'detached', view };
    if (drain?.aborted) return { kind: 'pending', view };
    const now = Date.now();
    if (now >= deadline) return { kind: 'pending', view };
    if (view.state === 'pending' && options.progress !== undefined && now >= nextProgress) {
      await options
        .progress(progressMessage(view, now), view)
        .catch((error: unknown) => options.log?.debug({ err: describeError(error) }, 'progress not sent'));
      nextProgress = now + every;
    }
    try {
      view = await engine.waitForChange(view.id, view.version, {
        deadline: nextWake(options, view, deadline, nextProgress),
        ...(wake ? { signal: wake } : {}),
      });
    } catch (error) {
      // Redis unreachable: keep the agent's request until the deadline, then answer pending.
      options.log?.warn({ approval: view.id, err: describeError(error) }, 'approval state unreadable; retrying');
      await pause(Math.min(REDIS_RETRY_MS, Math.max(0, deadline - Date.now())), wake);
    }
  }
}

/**
 * What a state means for the waiting agent: an outcome to return (decided, run, or run by us now),
 * a newer view to look at again (another process began running it), or the same view: keep waiting.
 */
async function settle(
  options: HoldOptions,
  view: ApprovalView,
): Promise<{ outcome: HoldOutcome; view?: undefined } | { outcome?: undefined; view: ApprovalView }> {
  const { engine, signal, drain } = options;
  switch (view.state) {
    case 'executed':
      return {
        outcome:
          view.outcome === 'unknown'
            ? { kind: 'unknown', view }
            : {
                kind: 'executed',
                result: view.result,
                isError: view.outcome !== 'ok',
                outcome: view.outcome ?? 'ok',
                ranNow: false,
                view,
              },
      };
    case 'denied':
    case 'expired':
    case 'withdrawn':
      await engine
        .markCollected(view.id)
        .catch((error: unknown) =>
          options.log?.warn({ approval: view.id, err: describeError(error) }, 'markCollected failed'),
        );
      return { outcome: { kind: view.state, view } };
    case 'approved': {
      if (signal?.aborted) return { outcome: { kind: 'detached', view } };
      if (drain?.aborted) return { outcome: { kind: 'pending', view } };
      const begun = await engine.beginExecution(view.id);
      if (begun.started)
        return { outcome: await runApproved(engine, begun.approval, begun.executor, options.execute, options.log) };
      return { view: begun.approval };
    }
    case 'pending':
    case 'executing':
      return { view };
  }
}

/**
 * When to look again without a change (pub/sub wakes us for those): the hold deadline, the next
 * progress, the expiry (in case no worker runs), or a possibly dead executor's lease.
 */
function nextWake(options: HoldOptions, view: ApprovalView, deadline: number, nextProgress: number): number {
  const wakes = [deadline];
  if (view.state === 'pending') {
    if (options.progress !== undefined) wakes.push(nextProgress);
    wakes.push(Math.max(view.expiresAt + 50, Date.now() + REDIS_RETRY_MS));
  } else {
    wakes.push(Date.now() + options.engine.leaseMs);
  }
  return Math.min(...wakes);
}

/**
 * Runs an approved call whose execution `executor` began (beginExecution said started), keeping
 * its lease alive meanwhile, and records the outcome for every later reader. Used by holders and
 * by the task runner (an approved task has no waiting request).
 */
export async function runApproved(
  engine: ApprovalEngine,
  view: ApprovalView,
  executor: string,
  execute: ExecuteCall,
  log?: Logger,
): Promise<Extract<HoldOutcome, { kind: 'executed' | 'unknown' }>> {
  const renew = setInterval(
    () => {
      engine.renewLease(view.id, executor).then(
        (held) => held || log?.warn({ approval: view.id }, 'execution lease lost while the call runs'),
        (error: unknown) =>
          log?.warn({ approval: view.id, err: describeError(error) }, 'could not renew the execution lease'),
      );
    },
    Math.max(10, Math.floor(engine.leaseMs / 3)),
  );
  let outcome: ExecutionOutcome;
  let result: unknown;
  let error: string | undefined;
  try {
    const answer = await execute();
    outcome = answer.failed === true ? 'failed' : answer.isError ? 'error' : 'ok';
    result = answer.result;
  } catch (thrown) {
    outcome = 'unknown';
    error = describeError(thrown);
    result = { error };
  } finally {
    clearInterval(renew);
  }
  let finished = view;
  try {
    finished = await engine.finishExecution(view.id, executor, outcome, result);
  } catch (failure) {
    // The call ran; the agent still gets its result. Later re-attaches will see "unknown".
    log?.error({ approval: view.id, err: describeError(failure) }, 'could not record the result of an approved call');
  }
  if (outcome === 'unknown') return { kind: 'unknown', view: finished, ...(error === undefined ? {} : { error }) };
  return { kind: 'executed', result, isError: outcome !== 'ok', outcome, ranNow: true, view: finished };
}

/**
 * An approved task's execution, with no agent request waiting: run here if this process wins
 * the atomic `executing` mark; otherwise nothing (it runs, or ran, elsewhere).
 */
export async function executeOnce(
  engine: ApprovalEngine,
  id: string,
  execute: ExecuteCall,
  log?: Logger,
): Promise<void> {
  const begun = await engine.beginExecution(id);
  if (begun.started) await runApproved(engine, begun.approval, begun.executor, execute, log);
}

/** Waits `ms`, less when `signal` aborts; resolves either way (the loop then sees why it woke). */
async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, signal === undefined ? {} : { signal });
  } catch (error) {
    if (!(error instanceof Error && error.name === 'AbortError')) throw error;
  }
}
