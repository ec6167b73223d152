import { isInputRequiredResult, type CallToolResult, type Tool } from '@modelcontextprotocol/server';
import {
  agentOutcome,
  OUTCOME_STATUSES,
  type AgentOutcome,
  type OutcomeDetails,
  type OutcomeStatus,
} from '../shared/index.js';

/**
 * The one converter from Airlock's outcome vocabulary (src/shared/outcome.ts) to what agents see:
 * a tool result whose text the model can act on and whose `structuredContent.status` a program
 * can switch on.
 */
export function toToolResult<S extends OutcomeStatus>(outcome: AgentOutcome<S>): CallToolResult {
  return {
    content: [{ type: 'text', text: outcome.text }],
    structuredContent: outcome.structuredContent,
    isError: outcome.isError,
  };
}

/** `toToolResult(agentOutcome(…))`, for outcomes the gateway itself words. */
export function outcome<S extends OutcomeStatus>(status: S, text: string, details: OutcomeDetails[S]): CallToolResult {
  return toToolResult(agentOutcome(status, text, details));
}

export function policyDenial(rule: string, reason: string | undefined): CallToolResult {
  const why = reason ?? 'not allowed by policy';
  return outcome('denied', `Denied by Airlock policy (rule ${rule}): ${why}`, { rule, reason: why });
}

/** The JSON Schema of our outcome objects, in the form tools/list advertises it. */
const OUTCOME_SCHEMA = {
  type: 'object',
  description:
    "An Airlock gateway outcome (denied, rate limited, pending approval, ...) instead of the tool's own result",
  properties: { status: { type: 'string', enum: [...OUTCOME_STATUSES] } },
  required: ['status'],
} as const;

/**
 * A tool with an `outputSchema` must return matching `structuredContent`, and SDK clients check
 * it. Our outcomes have their own shape, so the advertised schema admits either: the upstream's
 * own schema, unchanged inside `anyOf`, or an Airlock outcome.
 */
export function withOutcomeSchema(outputSchema: Tool['outputSchema']): Tool['outputSchema'] {
  if (outputSchema === undefined) return undefined;
  return { type: 'object', anyOf: [outputSchema, OUTCOME_SCHEMA] } as unknown as Tool['outputSchema'];
}

/** The audit outcome of an upstream answer: a result, a tool error, or Airlock's own failure outcome. */
export function auditOutcome(result: CallToolResult): {
  outcome: 'ok' | 'tool_error' | 'failure' | 'input_required';
  error?: string;
  input_requests?: string[];
} {
  if (isInputRequiredResult(result)) {
    const requests = Object.values(result.inputRequests ?? {}) as { method?: unknown }[];
    return { outcome: 'input_required', input_requests: requests.map((r) => String(r.method)) };
  }
  const status = (result.structuredContent as { status?: unknown } | undefined)?.status;
  if (status === 'upstream_unavailable') {
    const text = result.content[0]?.type === 'text' ? result.content[0].text : 'upstream unavailable';
    return { outcome: 'failure', error: text };
  }
  return { outcome: result.isError ? 'tool_error' : 'ok' };
}
