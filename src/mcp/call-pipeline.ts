import { ErrorCode, McpError, type CallToolRequest, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { evaluate } from '../policy/index.js';
import type { Logger } from '../shared/logger.js';
import type { Caller, HandlerExtra } from './call-context.js';
import { forwardCall } from './forward.js';
import { outcome, policyDenial } from './outcomes.js';
import type { PolicyProvider } from './policy-provider.js';
import type { ToolCatalogue } from './tool-catalogue.js';

/**
 * The one place a tools/call is decided (design notes, "The call path"):
 * resolve → evaluate policy → reserve limits → hold for approval → forward.
 */
export class CallPipeline {
  constructor(
    private readonly catalogue: ToolCatalogue,
    private readonly policies: PolicyProvider,
    private readonly log: Logger,
  ) {}

  async handle(caller: Caller, params: CallToolRequest['params'], extra: HandlerExtra): Promise<CallToolResult> {
    const entry = this.catalogue.resolve(params.name);
    if (entry === undefined) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${params.name}`);

    const decision = evaluate(this.policies.policyFor(caller.grant), {
      server: entry.upstream.name,
      tool: entry.upstreamTool,
      args: params.arguments ?? {},
    });
    this.log.info({ grant: caller.grant.name, session: caller.sessionId, tool: params.name, action: decision.action, rule: decision.rule }, 'policy decision');

    if (decision.action === 'deny') return policyDenial(decision.rule, decision.reason);
    if (decision.action === 'require_approval' || decision.limits.length > 0) {
      // Fail closed until rate limits and approvals are enforced: never let such a call through.
      const needs = decision.action === 'require_approval' ? 'human approval' : 'rate limits';
      return outcome('unavailable', `Refused: rule ${decision.rule} needs ${needs}, which this Airlock build does not enforce yet.`, { rule: decision.rule });
    }
    return forwardCall(entry, params, extra);
  }
}
