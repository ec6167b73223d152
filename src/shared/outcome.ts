/**
 * What an agent reads when Airlock, not the upstream, answers a call: one vocabulary for every
 * boundary (policy, limits, approvals, the gateway). Each builds an `AgentOutcome`; exactly one
 * function turns it into an MCP result (`toToolResult` in src/mcp/outcomes.ts); `structuredContent.status`
 * is one of `OUTCOME_STATUSES`.
 */
export const OUTCOME_STATUSES = [
  'denied',
  'rate_limited',
  'pending',
  'expired',
  'withdrawn',
  'unknown',
  'max_pending',
  'unavailable',
  'upstream_unavailable',
] as const;

export type OutcomeStatus = (typeof OUTCOME_STATUSES)[number];

/** The machine-readable part (`structuredContent` besides `status`) of each outcome. */
export interface OutcomeDetails {
  /** By policy (rule, reason) or by a human (approval, who, when, why). */
  denied:
    | { rule: string; reason: string }
    | { approval_id: string; decided_by: string | null; decided_at: string | null; reason: string | null };
  rate_limited: { counter: string; max: number; window: string; retry_after_ms: number };
  /** Still awaiting a decision, approved but not run yet, or running elsewhere; or detached. */
  pending: { approval_id: string | null; approval_state?: string; expires_at?: string };
  expired: { approval_id: string; expires_at: string; timeout: string };
  withdrawn: { approval_id: string; withdrawn_by: string | null; withdrawn_at: string | null; reason: string | null };
  unknown: { approval_id: string };
  max_pending: { grant: string; max_pending: number; pending: number };
  /** Airlock cannot decide safely (Redis, the audit file): it fails closed. */
  unavailable: { rule?: string; reason: 'limits_unavailable' | 'approvals_unavailable' | 'audit_unavailable' };
  upstream_unavailable: { server: string; detail?: string };
}

/** An outcome as the agent gets it: a text the model can act on, and `structuredContent` for programs. */
export type AgentOutcome<S extends OutcomeStatus = OutcomeStatus> = {
  [K in S]: { status: K; isError: boolean; text: string; structuredContent: { status: K } & OutcomeDetails[K] };
}[S];

export function agentOutcome<S extends OutcomeStatus>(
  status: S,
  text: string,
  details: OutcomeDetails[S],
): AgentOutcome<S> {
  return {
    status,
    isError: isErrorOutcome(status),
    text,
    structuredContent: { status, ...details },
  } as AgentOutcome<S>;
}

/** Only `pending` is not an error: the model should wait or call again, not give up. */
function isErrorOutcome(status: OutcomeStatus): boolean {
  switch (status) {
    case 'pending':
      return false;
    case 'denied':
    case 'rate_limited':
    case 'expired':
    case 'withdrawn':
    case 'unknown':
    case 'max_pending':
    case 'unavailable':
    case 'upstream_unavailable':
      return true;
    default:
      return unreachable(status);
  }
}

/** For exhaustive switches: a new status that is not handled fails to compile. */
function unreachable(value: never): never {
  throw new Error(`unhandled case: ${String(value)}`);
}
