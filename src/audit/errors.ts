import { AirlockError, describeError } from '../shared/errors.js';

/**
 * The audit file cannot be written (disk full, permissions, directory removed, file deleted).
 * With `audit.fail_mode: "closed"` (the default) calls are refused until it can be written again.
 */
export class AuditUnavailableError extends AirlockError {
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super('audit_unavailable', `the audit file ${file} cannot be written (${describeError(cause)}); calls are refused until it can (audit.fail_mode is "closed")`, { cause });
  }
}
