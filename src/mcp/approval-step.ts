import type { CallToolRequest, CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { holdForDecision, isApprovalError, maxPendingMessage, messageForOutcome, type AgentMessage, type ApprovalEngine, type ApprovalView } from '../approvals/index.js';
import type { CallTrail } from '../audit/index.js';
import type { RateLimiter } from '../limits/index.js';
import type { Decision } from '../policy/index.js';
import { AirlockError, describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { Caller, HandlerExtra } from './call-context.js';
import { sendUpstream, upstreamFailure } from './forward.js';
import { reserveLimits } from './limits-step.js';
import { auditOutcome, outcome } from './outcomes.js';
import type { CatalogueEntry } from './tool-catalogue.js';

export interface ApprovalStepDeps {
  engine: ApprovalEngine;
  limiter: RateLimiter;
  log: Logger;
  /** Appended to the progress text while held, e.g. that Slack could not be reached. */
  deliveryNote?: (approvalId: string) => Promise<string | undefined>;
  progressEveryMs: number;
  /** Aborted at shutdown: the hold answers `pending` at once. */
  drain?: AbortSignal;
}

/**
 * Step 5 of the call path: a call that needs a human. It re-attaches to the approval its exact
 * arguments already have (no new reservation, no second request), or reserves its limits and
 * opens one; then holds the agent's request for the grant's hold window, runs the call once if
 * approved, and otherwise answers what happened or that it is still pending.
 */
export async function holdForApproval(deps: ApprovalStepDeps, caller: Caller, entry: CatalogueEntry, params: CallToolRequest['params'], extra: HandlerExtra, decision: Decision, trail: CallTrail): Promise<CallToolResult> {
  const { engine, log } = deps;
  const call = { grant: caller.grant.name, server: entry.upstream.name, tool: entry.upstreamTool, args: params.arguments ?? {} };
  const context = { grant: call.grant, session: caller.sessionId, tool: params.name, rule: decision.rule };
  try {
    const existing = await engine.findFor(call);
    let reservation: unknown;
    if (existing === undefined) {
      const reserved = await reserveLimits(deps.limiter, decision, caller, log, trail);
      if (!reserved.ok) return reserved.result;
      reservation = reserved.reservation;
    }
    const progressToken = params._meta?.progressToken;
    let progressCount = 0;
    const held = await holdForDecision({
      engine,
      log,
      holdMs: caller.grant.hold,
      progressEveryMs: deps.progressEveryMs,
      signal: extra.signal,
      ...(deps.drain ? { drain: deps.drain } : {}),
      input: {
        ...call,
        ...(caller.grant.owner === undefined ? {} : { owner: caller.grant.owner }),
        maxPending: caller.grant.max_pending,
        rule: decision.rule,
        ...(decision.reason === undefined ? {} : { reason: decision.reason }),
        approval: decision.approval!,
        ...(reservation === undefined ? {} : { reservation }),
      },
      ...(progressToken === undefined
        ? {}
        : {
            progress: async (message: string, view: ApprovalView) => {
              const note = await deps.deliveryNote?.(view.id).catch(() => undefined);
              const text = note === undefined ? message : `${message}. ${note}`;
              await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress: ++progressCount, message: text } });
            },
          }),
      onRequest: (request) => {
        const view = request.approval;
        trail.setApproval(view.id);
        log.info({ ...context, approval: view.id, kind: request.kind }, request.kind === 'created' ? 'approval requested' : 're-attached to approval');
        void trail.emit('approval.requested', {
          rule: decision.rule,
          ...(decision.reason === undefined ? {} : { reason: decision.reason }),
          expires_at: new Date(view.expiresAt).toISOString(),
          approvers: [...view.approvers],
          attached: request.kind === 'attached',
        });
      },
      execute: async () => {
        void trail.emit('call.forwarded', {});
        const answer = await executeApproved(entry, params, extra);
        void trail.emit('call.outcome', auditOutcome(answer.result as CallToolResult));
        return answer;
      },
    });
    switch (held.kind) {
      case 'executed':
        log.info({ ...context, approval: held.view.id, ran_now: held.ranNow, outcome: held.isError ? 'error' : 'ok' }, 'approved call result');
        return held.result as CallToolResult;
      case 'unknown':
        void trail.emit('call.outcome', { outcome: 'unknown', ...(held.error === undefined ? {} : { error: held.error }) });
        log.info({ ...context, approval: held.view.id, outcome: held.kind }, 'held call answered');
        return toResult(messageForOutcome(held, { toolName: params.name }));
      case 'detached':
        // The agent cancelled or left; the SDK drops whatever we answer.
        log.info({ ...context, approval: held.view?.id }, 'agent detached from a held call; the approval stays decidable');
        return outcome('pending', 'Detached from the held call.', { approval_id: held.view?.id ?? null });
      default:
        log.info({ ...context, approval: held.view.id, outcome: held.kind }, 'held call answered');
        return toResult(messageForOutcome(held, { toolName: params.name }));
    }
  } catch (error) {
    if (isApprovalError(error) && error.code === 'max_pending_reached' && error.details.maxPending) {
      void trail.emit('call.refused', { reason: 'max_pending', error: error.message });
      return toResult(maxPendingMessage(error.details.maxPending));
    }
    if (isApprovalError(error) && error.code === 'approvals_unavailable') {
      log.error({ ...context, err: error.message }, 'approvals unavailable; call refused');
      void trail.emit('call.refused', { reason: 'approvals_unavailable', error: error.message });
      return outcome('unavailable', `Refused: this call needs human approval (rule ${decision.rule}) and Airlock cannot reach its approval store (Redis) right now, so it fails closed. Try again shortly.`, { rule: decision.rule, reason: 'approvals_unavailable' });
    }
    throw error;
  }
}

/**
 * Runs an approved call. It is not cancellable: once a human approved it and it started, it runs
 * to completion so its result can be stored for the agent's retry. A call that was never sent
 * (upstream down) or that the upstream refused is a definite error result; a connection that died
 * under it leaves the outcome unknown (thrown), and it is never run again.
 */
async function executeApproved(entry: CatalogueEntry, params: CallToolRequest['params'], extra: HandlerExtra): Promise<{ result: unknown; isError: boolean }> {
  try {
    const result = await sendUpstream(entry, params, extra, { cancellable: false });
    return { result, isError: result.isError === true };
  } catch (error) {
    if (error instanceof AirlockError) return { result: upstreamFailure(entry, error), isError: true };
    const failure = upstreamFailure(entry, error);
    if (failure !== undefined) throw error;
    // A JSON-RPC error from the upstream: a definite refusal, kept as a tool error result.
    return { result: { content: [{ type: 'text', text: `The upstream refused the approved call: ${describeError(error)}` }], isError: true }, isError: true };
  }
}

function toResult(message: AgentMessage): CallToolResult {
  return { content: [{ type: 'text', text: message.text }], structuredContent: message.structuredContent, isError: message.isError };
}
