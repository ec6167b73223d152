import { AirlockError, describeError } from '../shared/errors.js';

/**
 * The audit file cannot be written (disk full, permissions, directory removed, file deleted).
 * With `audit.fail_mode: "closed"` (the default) calls are refused until it can be written again.
 */
export class AuditUnavailableError extends AirlockError {
  /** `file` is the audit file, or the audit directory when no file in it could be claimed yet. */
  constructor(
    readonly file: string,
    cause: unknown,
    what: 'file' | 'directory' = 'file',
  ) {
    super('audit_unavailable', `the audit ${what} ${file} cannot be written (${describeError(cause)}); calls are refused until it can (audit.fail_mode is "closed")`, { cause });
  }
}
