/**
 * Internal failures carry a string code (never sent to agents as-is) and a message written for the
 * person who has to fix it. Agent-visible outcomes are built in src/mcp/outcomes.ts instead.
 */
export type AirlockErrorCode =
  | 'config_invalid'
  | 'config_not_found'
  | 'redis_unavailable'
  | 'redis_binary_missing'
  | 'limits_unavailable'
  | 'audit_unavailable'
  | 'upstream_unavailable'
  | 'upstream_tool_collision'
  | 'data_dir_unusable'
  | 'lock_timeout'
  | 'listen_failed';

export class AirlockError extends Error {
  override readonly name = 'AirlockError';
  constructor(
    readonly code: AirlockErrorCode,
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
