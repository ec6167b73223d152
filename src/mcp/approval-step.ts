import type { CallToolResult } from '@modelcontextprotocol/server';
import {
  holdForDecision,
  isApprovalError,
  maxPendingMessage,
  messageForOutcome,
  type ApprovalEngine,
  type ApprovalRequestInput,
  type ApprovalView,
  type HoldOptions,
  type HoldOutcome,
  type RequestResult,
} from '../approvals/index.js';
import type { RateLimiter } from '../limits/index.js';
import { logContext, type CallContext } from './call-context.js';
import { reserveLimits } from './limits-step.js';
import { outcome, toToolResult } from './outcomes.js';
import { refusedByUpstream, runApprovedCall } from './upstream-step.js';
import { declaresTasks, type UpstreamTasks } from './upstream-tasks.js';
import type { ApprovalTasks } from './approval-tasks.js';

export interface ApprovalStepDeps {
  engine: ApprovalEngine;
  limiter: RateLimiter;
  /** Appended to the progress text while held, e.g. that Slack could not be reached. */
  deliveryNote?: (approvalId: string) => Promise<string | undefined>;
  progressEveryMs: number;
  /** Aborted at shutdown: the hold answers `pending` at once. */
  drain?: AbortSignal;
  /** Binds a task the approved call's upstream answers with. */
  tasks: Pick<UpstreamTasks, 'bind'>;
  /** A held call of an agent that declared the tasks extension is answered as a task. */
  approvalTasks: Pick<ApprovalTasks, 'open'>;
}

/**
 * Step 5 of the call path: a call that needs a human. It re-attaches to the approval its exact
 * arguments already have (no new reservation, no second request), or reserves its limits and
 * opens one; then holds the agent's request for the grant's hold window, runs the call once if
 * approved (the same upstream step as allowed calls), and otherwise answers what happened or that
 * it is still pending. A 2026-era agent that declared the tasks extension is not held: it gets
 * the approval as a task at once (approval-tasks.ts), unless it is already decided.
 */
export async function holdForApproval(deps: ApprovalStepDeps, call: CallContext): Promise<CallToolResult> {
  const asTask = call.caller.era === 'modern' && declaresTasks(call.caller.channel);
  try {
    const existing = await deps.engine.findFor(heldCall(call));
    let reservation: unknown;
    if (existing === undefined) {
      const reserved = await reserveLimits(deps.limiter, call);
      if (!reserved.ok) return reserved.result;
      reservation = reserved.reservation;
    }
    const held = await holdForDecision({
      engine: deps.engine,
      log: call.log,
      holdMs: asTask ? 0 : call.caller.grant.hold,
      progressEveryMs: deps.progressEveryMs,
      signal: call.extra.mcpReq.signal,
      ...(deps.drain ? { drain: deps.drain } : {}),
      input: { ...holdInput(call, reservation), ...(asTask ? { task: true } : {}) },
      ...(asTask ? {} : progressReporter(deps, call)),
      onRequest: (request) => recordRequest(call, request, asTask),
      execute: () => runApprovedCall(call, deps.tasks),
    });
    if (asTask && held.kind === 'pending') return await openTask(deps, call, held);
    return answer(call, held);
  } catch (error) {
    return refusal(call, error);
  }
}

function heldCall(call: CallContext): Pick<ApprovalRequestInput, 'grant' | 'server' | 'tool' | 'args'> {
  return {
    grant: call.caller.grant.name,
    server: call.entry.upstream.name,
    tool: call.entry.upstreamTool,
    args: call.params.arguments ?? {},
  };
}

function holdInput(call: CallContext, reservation: unknown): ApprovalRequestInput {
  const { grant } = call.caller;
  const { decision } = call;
  return {
    ...heldCall(call),
    ...(grant.owner === undefined ? {} : { owner: grant.owner }),
    maxPending: grant.max_pending,
    rule: decision.rule,
    ...(decision.reason === undefined ? {} : { reason: decision.reason }),
    approval: decision.approval!,
    ...(reservation === undefined ? {} : { reservation }),
    callId: call.trail.callId,
  };
}

/** The approval as a task; should its binding fail, the agent reads `pending` as without tasks. */
async function openTask(
  deps: ApprovalStepDeps,
  call: CallContext,
  held: Extract<HoldOutcome, { kind: 'pending' }>,
): Promise<CallToolResult> {
  try {
    const task = await deps.approvalTasks.open(call.caller.grant.name, held.view);
    call.log.info({ ...logContext(call), approval: held.view.id }, 'held call answered as a task');
    // A task result, not a CallToolResult: the agent-facing server passes it as it is (agent-tasks.ts).
    return task as CallToolResult;
  } catch (error) {
    call.log.warn({ ...logContext(call), approval: held.view.id, err: String(error) }, 'approval task not opened');
    return answer(call, held);
  }
}

/** Progress texts for an agent that sent a progress token (with the Slack delivery note, if any). */
function progressReporter(deps: ApprovalStepDeps, call: CallContext): Pick<HoldOptions, 'progress'> {
  const progressToken = call.params._meta?.progressToken;
  if (progressToken === undefined) return {};
  let progress = 0;
  return {
    progress: async (message: string, view: ApprovalView) => {
      const note = await deps.deliveryNote?.(view.id).catch(() => undefined);
      const text = note === undefined ? message : `${message}. ${note}`;
      await call.extra.mcpReq.notify({
        method: 'notifications/progress',
        params: { progressToken, progress: ++progress, message: text },
      });
    },
  };
}

function recordRequest(call: CallContext, request: RequestResult, asTask: boolean): void {
  const { trail, decision } = call;
  const view = request.approval;
  trail.setApproval(view.id);
  call.log.info(
    { ...logContext(call), approval: view.id, kind: request.kind },
    request.kind === 'created' ? 'approval requested' : 're-attached to approval',
  );
  void trail.emit('approval.requested', {
    rule: decision.rule,
    ...(decision.reason === undefined ? {} : { reason: decision.reason }),
    expires_at: new Date(view.expiresAt).toISOString(),
    approvers: [...view.approvers],
    attached: request.kind === 'attached',
    ...(asTask ? { task: true } : {}),
  });
}

function answer(call: CallContext, held: HoldOutcome): CallToolResult {
  const context = logContext(call);
  switch (held.kind) {
    case 'executed':
      call.log.info(
        { ...context, approval: held.view.id, ran_now: held.ranNow, outcome: held.outcome },
        'approved call result',
      );
      return held.outcome === 'failed' ? refusedByUpstream(held.result) : (held.result as CallToolResult);
    case 'detached':
      // The agent cancelled or left; the SDK drops whatever we answer.
      call.log.info(
        { ...context, approval: held.view?.id },
        'agent detached from a held call; the approval stays decidable',
      );
      return outcome('pending', 'Detached from the held call.', { approval_id: held.view?.id ?? null });
    case 'unknown':
      void call.trail.emit('call.outcome', {
        outcome: 'unknown',
        ...(held.error === undefined ? {} : { error: held.error }),
      });
      call.log.info({ ...context, approval: held.view.id, outcome: held.kind }, 'held call answered');
      return toToolResult(messageForOutcome(held, { toolName: call.params.name }));
    case 'denied':
    case 'expired':
    case 'withdrawn':
    case 'pending':
      call.log.info({ ...context, approval: held.view.id, outcome: held.kind }, 'held call answered');
      return toToolResult(messageForOutcome(held, { toolName: call.params.name }));
  }
}

/** The approval step's refusals; anything else is a fault of Airlock's own and is thrown. */
function refusal(call: CallContext, error: unknown): CallToolResult {
  if (isApprovalError(error, 'max_pending_reached') && error.details.maxPending) {
    void call.trail.emit('call.refused', { reason: 'max_pending', error: error.message });
    return toToolResult(maxPendingMessage(error.details.maxPending));
  }
  if (isApprovalError(error, 'approvals_unavailable')) {
    call.log.error({ ...logContext(call), err: error.message }, 'approvals unavailable; call refused');
    void call.trail.emit('call.refused', { reason: 'approvals_unavailable', error: error.message });
    const text = `Refused: this call needs human approval (rule ${call.decision.rule}) and Airlock cannot reach its approval store (Redis) right now, so it fails closed. Try again shortly.`;
    return outcome('unavailable', text, { rule: call.decision.rule, reason: 'approvals_unavailable' });
  }
  throw error;
}
