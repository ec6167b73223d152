import { isInputRequiredResult, type CallToolResult, type Tool } from '@modelcontextprotocol/server';
import { isTaskResult } from './upstream-tasks.js';
import { agentOutcome, type AgentOutcome, type OutcomeDetails, type OutcomeStatus } from '../shared/index.js';

/**
 * The one converter from Airlock's outcome vocabulary (src/shared/outcome.ts) to what agents see:
 * a tool result whose text the model can act on and whose `structuredContent.status` a program
 * can switch on.
 */
export function toToolResult<S extends OutcomeStatus>(outcome: AgentOutcome<S>): CallToolResult {
  const result: CallToolResult = {
    content: [{ type: 'text', text: outcome.text }],
    structuredContent: outcome.structuredContent,
    isError: outcome.isError,
  };
  airlockOutcomes.add(result);
  return result;
}

/** `toToolResult(agentOutcome(…))`, for outcomes the gateway itself words. */
export function outcome<S extends OutcomeStatus>(status: S, text: string, details: OutcomeDetails[S]): CallToolResult {
  return toToolResult(agentOutcome(status, text, details));
}

export function policyDenial(rule: string, reason: string | undefined): CallToolResult {
  const why = reason ?? 'not allowed by policy';
  return outcome('denied', `Denied by Airlock policy (rule ${rule}): ${why}`, { rule, reason: why });
}

/** The results Airlock itself worded (not an upstream's), by identity. */
const airlockOutcomes = new WeakSet<CallToolResult>();

/**
 * A tool's `outputSchema` passes through untouched, and SDK clients check structured content
 * against it unless `isError` is set. Airlock's own outcomes carry `{status, …}`, so on a tool
 * with an output schema every one of them is marked `isError` (`pending` included: its text
 * still says to call again), and the upstream's schema never has to admit them.
 */
export function fitOutputSchema(tool: Pick<Tool, 'outputSchema'> | undefined, result: CallToolResult): CallToolResult {
  if (tool?.outputSchema === undefined || result.isError || !airlockOutcomes.has(result)) return result;
  return { ...result, isError: true };
}

/** The audit outcome of an upstream answer: a result, a tool error, or Airlock's own failure outcome. */
export function auditOutcome(result: CallToolResult): {
  outcome: 'ok' | 'tool_error' | 'failure' | 'input_required' | 'task';
  error?: string;
  input_requests?: string[];
  task_id?: string;
} {
  if (isTaskResult(result)) return { outcome: 'task', task_id: result.taskId };
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
