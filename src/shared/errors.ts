/**
 * Airlock's one error family. Every internal failure is an `AirlockError` with a string code
 * (never sent to agents as-is) and a message written for the person who has to fix it; the
 * boundaries subclass it only to carry details (ApprovalError, PolicyError, …). What agents see
 * is an outcome (src/shared/outcome.ts) or a JSON-RPC error, never an AirlockError.
 */
export const ERROR_CODES = [
  // configuration and start-up
  'config_invalid',
  'config_not_found',
  'data_dir_unusable',
  'listen_failed',
  'lock_timeout',
  // policy files
  'policy_invalid',
  'policy_not_found',
  'policy_unreadable',
  // stores and upstreams
  'redis_unavailable',
  'redis_binary_missing',
  'limits_unavailable',
  'audit_unavailable',
  'upstream_unavailable',
  'upstream_tool_collision',
  // approvals
  'approval_not_found',
  'not_an_approver',
  'self_approval_forbidden',
  'already_decided',
  'max_pending_reached',
  'not_executable',
  'approvals_unavailable',
  // policy tooling (init, explain, replay)
  'init_needs_approvers',
  'init_refused',
  'tool_not_found',
] as const;

export type AirlockErrorCode = (typeof ERROR_CODES)[number];

export class AirlockError<C extends AirlockErrorCode = AirlockErrorCode> extends Error {
  override readonly name: string = 'AirlockError';
  constructor(
    readonly code: C,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** "what went wrong" from anything thrown, for logs and messages. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
