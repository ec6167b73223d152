import type { CallToolRequest, CallToolResult } from '@modelcontextprotocol/server';
import type { ApprovalEngine } from '../approvals/index.js';
import type { AuditLog, CallTrail } from '../audit/index.js';
import type { RateLimiter } from '../limits/index.js';
import { evaluate } from '../policy/index.js';
import { describeError, type Logger } from '../shared/index.js';
import { NO_CALL_TELEMETRY, type CallStart, type CallTelemetry } from '../telemetry/index.js';
import { holdForApproval, type ApprovalStepDeps } from './approval-step.js';
import { logContext, type CallContext, type Caller, type HandlerExtra } from './call-context.js';
import { auditShadow } from './shadow-step.js';
import { reserveLimits } from './limits-step.js';
import { fitOutputSchema, outcome, policyDenial } from './outcomes.js';
import { resumeHeld, runUpstream } from './upstream-step.js';
import type { HeldRounds } from './held-rounds.js';
import type { RoundRelay } from './round-relay.js';
import type { UpstreamTasks } from './upstream-tasks.js';
import type { ApprovalTasks } from './approval-tasks.js';
import { invalidParams, MAX_ARGUMENT_DEPTH, nestedDeeperThan } from './protocol-error.js';
import type { PolicyProvider } from './policy-provider.js';
import type { ToolCatalogue } from './tool-catalogue.js';
import {
  argumentsHash,
  checkRoundTarget,
  roundOf,
  upstreamRoundParams,
  type AgentRound,
  type InputRounds,
  type RoundPayload,
} from './input-rounds.js';

export interface CallPipelineDeps {
  catalogue: ToolCatalogue;
  policies: PolicyProvider;
  limiter: RateLimiter;
  approvals: ApprovalEngine;
  audit: AuditLog;
  /** Seals input_required rounds, so a retry is known as the same admitted call. */
  rounds: InputRounds;
  /** 2025-era upstream calls of 2026-era agents, held across their rounds, and the relay to their process. */
  held: HeldRounds;
  relay: Pick<RoundRelay, 'resume' | 'cancel'>;
  /** Where the tasks upstreams answer with are bound to their grant. */
  tasks: Pick<UpstreamTasks, 'bind'>;
  /** Held calls of agents that declared the tasks extension become tasks. */
  approvalTasks: Pick<ApprovalTasks, 'open'>;
  /** A note for the agent's progress text while a held call waits (e.g. "Slack could not be reached"). */
  deliveryNote?: (approvalId: string) => Promise<string | undefined>;
  /** How often a held call reports progress. */
  progressEveryMs: number;
  /** Aborted at shutdown: held calls answer `pending` at once. */
  drain?: AbortSignal;
  /** Metrics and traces of each call; none without. */
  telemetry?: { call(start: CallStart): CallTelemetry };
  log: Logger;
}

/**
 * The one place a tools/call is decided (design notes, "The call path"):
 * resolve → evaluate policy → reserve limits → hold for approval → forward, with every step's
 * outcome in the audit trail. After the decision the call travels as one `CallContext`; allowed
 * and approved calls share one upstream step (upstream-step.ts).
 */
export class CallPipeline {
  private readonly inflight = new Set<Promise<unknown>>();

  private readonly approvalDeps: ApprovalStepDeps;

  constructor(private readonly deps: CallPipelineDeps) {
    this.approvalDeps = {
      engine: deps.approvals,
      limiter: deps.limiter,
      progressEveryMs: deps.progressEveryMs,
      tasks: deps.tasks,
      approvalTasks: deps.approvalTasks,
      ...(deps.deliveryNote ? { deliveryNote: deps.deliveryNote } : {}),
      ...(deps.drain ? { drain: deps.drain } : {}),
    };
  }

  handle(caller: Caller, params: CallToolRequest['params'], extra: HandlerExtra): Promise<CallToolResult> {
    const telemetry =
      this.deps.telemetry?.call({
        tool: params.name,
        grant: caller.grant.name,
        session: caller.sessionId,
        era: caller.era,
        meta: params._meta,
      }) ?? NO_CALL_TELEMETRY;
    const call = this.decide(caller, params, extra, telemetry).then((result) =>
      fitOutputSchema(this.deps.catalogue.resolve(params.name)?.tool, result),
    );
    call.then(
      (result) => telemetry.end(result),
      (error: unknown) => telemetry.end(undefined, error),
    );
    const tracked = call.catch(() => {}).finally(() => this.inflight.delete(tracked));
    this.inflight.add(tracked);
    return call;
  }

  /** Calls received and not yet answered. */
  get inFlight(): number {
    return this.inflight.size;
  }

  /** Resolves when every call in flight has answered, or after `timeoutMs`. */
  async settled(timeoutMs: number): Promise<void> {
    if (this.inflight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.inflight),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  /** Resolve, decide, admit; an input round is sealed to the audit trail's hash of the arguments. */
  private async decide(
    caller: Caller,
    params: CallToolRequest['params'],
    extra: HandlerExtra,
    telemetry: CallTelemetry,
  ): Promise<CallToolResult> {
    const { catalogue, policies, audit, log } = this.deps;
    const entry = catalogue.resolve(params.name);
    if (entry === undefined) throw invalidParams(`Unknown tool: ${params.name}`);
    const args = params.arguments ?? {};
    if (nestedDeeperThan(args, MAX_ARGUMENT_DEPTH)) {
      log.warn({ grant: caller.grant.name, tool: params.name }, 'call refused: arguments nested too deep');
      throw invalidParams(
        `Invalid arguments for ${params.name}: nested deeper than ${MAX_ARGUMENT_DEPTH} levels (Airlock's limit); the call was not run`,
      );
    }
    const round = this.roundFor(params, args, extra);
    const trail = audit.call({
      grant: caller.grant.name,
      session: caller.sessionId,
      server: entry.upstream.name,
      tool: entry.upstreamTool,
      args,
    });
    void trail.emit('call.received', continuation(round));
    telemetry.resolved(entry.upstream.name, entry.upstreamTool, trail.callId);

    const policy = policies.policyFor(caller.grant);
    const decision = evaluate(policy, {
      server: entry.upstream.name,
      tool: entry.upstreamTool,
      args,
    });
    telemetry.decided(decision.action, decision.rule);
    const call: CallContext = {
      caller,
      entry,
      params: upstreamRoundParams(params, round),
      extra,
      decision,
      trail,
      telemetry,
      log,
    };
    log.info({ ...logContext(call), action: decision.action }, 'policy decision');
    // The decision is on disk before anything happens because of it (fail closed by default).
    const refused = await this.recordOrRefuse(trail, () =>
      trail.emit('policy.decided', {
        rule: decision.rule,
        action: decision.action,
        ...(decision.reason === undefined ? {} : { reason: decision.reason }),
        risk: { category: entry.risk.category, level: entry.risk.level, open_world: entry.risk.openWorld },
      }),
    );
    if (refused) return refused;
    // What shadow rules would do: audited beside the decision, never waited on.
    void auditShadow(
      this.deps.limiter,
      {
        policy,
        decision,
        server: entry.upstream.name,
        tool: entry.upstreamTool,
        args,
        grant: caller.grant.name,
        session: caller.sessionId,
        trail,
      },
      log,
    );
    const { result, admitted } = await this.admit(call, round.payload);
    if (admitted === undefined) return result;
    const sealed = { t: `tools/call ${params.name}`, c: round.payload?.c ?? trail.callId, h: trail.argsSha256 };
    const held = this.deps.held.refOf(result);
    return this.deps.rounds.seal(
      caller.grant.name,
      result,
      { ...sealed, a: admitted, ...(held ? { r: held } : {}) },
      extra,
    );
  }

  /**
   * Runs the decision. A retry that answers an input round (`continues`) is the call Airlock
   * already admitted: its limits were counted and its approval given, so neither is asked again;
   * the policy still is, and a deny now stops it.
   */
  private async admit(
    call: CallContext,
    continues: RoundPayload | undefined,
  ): Promise<{ result: CallToolResult; admitted?: 'allowed' | 'approved' }> {
    const held = continues?.r;
    // The policy changed to deny between rounds: the held call is given up, not left to expire.
    if (held !== undefined && call.decision.action === 'deny')
      void this.deps.relay.cancel(held, `the call was denied by Airlock policy (rule ${call.decision.rule})`);
    if (held !== undefined && call.decision.action !== 'deny') {
      const answers = roundOf(call.extra).inputResponses;
      const resume = (a: Record<string, unknown> | undefined) => this.deps.relay.resume(held, a);
      return { result: await resumeHeld(call, resume, answers), admitted: continues!.a ?? 'allowed' };
    }
    switch (call.decision.action) {
      case 'deny':
        return { result: policyDenial(call.decision.rule, call.decision.reason) };
      case 'require_approval':
        if (continues?.a === 'approved')
          return { result: await runUpstream(call, 'allowed', this.deps), admitted: 'approved' };
        return {
          result: await call.telemetry.step('hold', () => holdForApproval(this.approvalDeps, call)),
          admitted: 'approved',
        };
      case 'allow': {
        if (continues !== undefined)
          return { result: await runUpstream(call, 'allowed', this.deps), admitted: continues.a ?? 'allowed' };
        const reserved = await call.telemetry.step('limits', () => reserveLimits(this.deps.limiter, call));
        if (!reserved.ok) return { result: reserved.result };
        return { result: await runUpstream(call, 'allowed', this.deps), admitted: 'allowed' };
      }
    }
  }

  /** The input round this request answers, refused when its sealed state was for another call. */
  private roundFor(params: CallToolRequest['params'], args: unknown, extra: HandlerExtra): AgentRound {
    const round = roundOf(extra);
    checkRoundTarget(round, `tools/call ${params.name}`);
    if (round.payload !== undefined && round.payload.h !== argumentsHash(args))
      throw invalidParams(
        `requestState belongs to a call of ${params.name} with other arguments: a retry repeats the arguments it was asked for`,
      );
    return round;
  }

  /** Runs an audit write that must succeed; on failure the call is refused, saying why. */
  private async recordOrRefuse(trail: CallTrail, write: () => Promise<void>): Promise<CallToolResult | undefined> {
    try {
      await write();
      return undefined;
    } catch (error) {
      this.deps.log.error({ call: trail.callId, err: describeError(error) }, 'audit trail unavailable; call refused');
      void trail.emit('call.refused', { reason: 'audit_unavailable', error: describeError(error) });
      return outcome(
        'unavailable',
        `Refused: Airlock cannot write its audit trail (${describeError(error)}), and it refuses calls it cannot record. Try again shortly.`,
        { reason: 'audit_unavailable' },
      );
    }
  }
}

/** The audit fields of a retry that answers an input round. */
function continuation(round: AgentRound): { continues?: string; answers?: string[] } {
  if (round.payload?.c === undefined) return {};
  return { continues: round.payload.c, answers: Object.keys(round.inputResponses ?? {}) };
}
