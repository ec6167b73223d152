import type { CallToolRequest, CallToolResult } from '@modelcontextprotocol/server';
import type { ApprovalEngine } from '../approvals/index.js';
import type { AuditLog, CallTrail } from '../audit/index.js';
import type { RateLimiter } from '../limits/index.js';
import { evaluate } from '../policy/index.js';
import { describeError, type Logger } from '../shared/index.js';
import { holdForApproval, type ApprovalStepDeps } from './approval-step.js';
import { logContext, type CallContext, type Caller, type HandlerExtra } from './call-context.js';
import { reserveLimits } from './limits-step.js';
import { outcome, policyDenial } from './outcomes.js';
import { runUpstream } from './upstream-step.js';
import { invalidParams, MAX_ARGUMENT_DEPTH, nestedDeeperThan } from './protocol-error.js';
import type { PolicyProvider } from './policy-provider.js';
import type { ToolCatalogue } from './tool-catalogue.js';

export interface CallPipelineDeps {
  catalogue: ToolCatalogue;
  policies: PolicyProvider;
  limiter: RateLimiter;
  approvals: ApprovalEngine;
  audit: AuditLog;
  /** A note for the agent's progress text while a held call waits (e.g. "Slack could not be reached"). */
  deliveryNote?: (approvalId: string) => Promise<string | undefined>;
  /** How often a held call reports progress. */
  progressEveryMs: number;
  /** Aborted at shutdown: held calls answer `pending` at once. */
  drain?: AbortSignal;
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
      ...(deps.deliveryNote ? { deliveryNote: deps.deliveryNote } : {}),
      ...(deps.drain ? { drain: deps.drain } : {}),
    };
  }

  handle(caller: Caller, params: CallToolRequest['params'], extra: HandlerExtra): Promise<CallToolResult> {
    const call = this.decide(caller, params, extra);
    const tracked = call.catch(() => {}).finally(() => this.inflight.delete(tracked));
    this.inflight.add(tracked);
    return call;
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

  private async decide(
    caller: Caller,
    params: CallToolRequest['params'],
    extra: HandlerExtra,
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
    const trail = audit.call({
      grant: caller.grant.name,
      session: caller.sessionId,
      server: entry.upstream.name,
      tool: entry.upstreamTool,
      args,
    });
    void trail.emit('call.received', {});

    const decision = evaluate(policies.policyFor(caller.grant), {
      server: entry.upstream.name,
      tool: entry.upstreamTool,
      args,
    });
    const call: CallContext = { caller, entry, params, extra, decision, trail, log };
    log.info({ ...logContext(call), action: decision.action }, 'policy decision');
    // The decision is on disk before anything happens because of it (fail closed by default).
    const refused = await this.recordOrRefuse(trail, () =>
      trail.emit('policy.decided', {
        rule: decision.rule,
        action: decision.action,
        ...(decision.reason === undefined ? {} : { reason: decision.reason }),
      }),
    );
    if (refused) return refused;

    switch (decision.action) {
      case 'deny':
        return policyDenial(decision.rule, decision.reason);
      case 'require_approval':
        return holdForApproval(this.approvalDeps, call);
      case 'allow': {
        const reserved = await reserveLimits(this.deps.limiter, call);
        if (!reserved.ok) return reserved.result;
        return runUpstream(call, 'allowed');
      }
    }
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
