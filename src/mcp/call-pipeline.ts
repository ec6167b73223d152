import { ErrorCode, McpError, type CallToolRequest, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ApprovalEngine } from '../approvals/index.js';
import type { RateLimiter } from '../limits/index.js';
import { evaluate } from '../policy/index.js';
import type { Logger } from '../shared/logger.js';
import { holdForApproval } from './approval-step.js';
import type { Caller, HandlerExtra } from './call-context.js';
import { forwardCall } from './forward.js';
import { reserveLimits } from './limits-step.js';
import { policyDenial } from './outcomes.js';
import type { PolicyProvider } from './policy-provider.js';
import type { ToolCatalogue } from './tool-catalogue.js';

export interface CallPipelineDeps {
  catalogue: ToolCatalogue;
  policies: PolicyProvider;
  limiter: RateLimiter;
  approvals: ApprovalEngine;
  log: Logger;
}

/**
 * The one place a tools/call is decided (design notes, "The call path"):
 * resolve → evaluate policy → reserve limits → hold for approval → forward.
 */
export class CallPipeline {
  constructor(private readonly deps: CallPipelineDeps) {}

  async handle(caller: Caller, params: CallToolRequest['params'], extra: HandlerExtra): Promise<CallToolResult> {
    const { catalogue, policies, limiter, approvals, log } = this.deps;
    const entry = catalogue.resolve(params.name);
    if (entry === undefined) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${params.name}`);

    const decision = evaluate(policies.policyFor(caller.grant), { server: entry.upstream.name, tool: entry.upstreamTool, args: params.arguments ?? {} });
    log.info({ grant: caller.grant.name, session: caller.sessionId, tool: params.name, action: decision.action, rule: decision.rule }, 'policy decision');

    switch (decision.action) {
      case 'deny':
        return policyDenial(decision.rule, decision.reason);
      case 'require_approval':
        return holdForApproval({ engine: approvals, limiter, log }, caller, entry, params, extra, decision);
      case 'allow': {
        const reserved = await reserveLimits(limiter, decision, caller, log);
        if (!reserved.ok) return reserved.result;
        // From here the call reaches the upstream, so its reservation counts whatever the outcome.
        return forwardCall(entry, params, extra);
      }
    }
  }
}
