import { ErrorCode, McpError, type CallToolRequest, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { LimitsUnavailableError, rateLimitedMessage, type RateLimiter } from '../limits/index.js';
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
    private readonly limiter: RateLimiter,
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
    const context = { grant: caller.grant.name, session: caller.sessionId, tool: params.name, rule: decision.rule };
    this.log.info({ ...context, action: decision.action }, 'policy decision');

    if (decision.action === 'deny') return policyDenial(decision.rule, decision.reason);
    if (decision.action === 'require_approval') {
      // Fail closed until approvals are enforced: never let such a call through.
      return outcome('unavailable', `Refused: rule ${decision.rule} needs human approval, which this Airlock build does not enforce yet.`, { rule: decision.rule });
    }

    let reserved;
    try {
      reserved = await this.limiter.reserve(decision.limits, { grant: caller.grant.name, session: caller.sessionId });
    } catch (error) {
      if (!(error instanceof LimitsUnavailableError)) throw error;
      this.log.error({ ...context, err: error.message }, 'rate limits unavailable; call refused');
      return outcome('unavailable', `Refused: this call is rate-limited by rule ${decision.rule} and Airlock cannot reach its counter store (Redis) right now, so it fails closed. Try again shortly.`, { rule: decision.rule, reason: 'limits_unavailable' });
    }
    if (!reserved.ok) {
      this.log.info({ ...context, counter: reserved.limited.counter, retry_after_ms: reserved.limited.retryAfterMs }, 'rate limited');
      const message = rateLimitedMessage(reserved.limited);
      return { content: [{ type: 'text', text: message.text }], structuredContent: message.structuredContent, isError: true };
    }
    // From here the call reaches the upstream, so its reservation counts whatever the outcome.
    return forwardCall(entry, params, extra);
  }
}
