import { AirlockError, describeError } from '../shared/index.js';

/**
 * The audit file cannot be written (disk full, permissions, directory removed, file deleted).
 * With `audit.fail_mode: "closed"` (the default) calls are refused until it can be written again;
 * with "open" they go on, recorded in the Redis stream only. The message says which.
 */
export class AuditUnavailableError extends AirlockError {
  /** `file` is the audit file, or the audit directory when no file in it could be claimed yet. */
  constructor(
    readonly file: string,
    cause: unknown,
    what: 'file' | 'directory' = 'file',
    failMode: 'closed' | 'open' = 'closed',
  ) {
    const consequence =
      failMode === 'closed'
        ? 'calls are refused until it can (audit.fail_mode is "closed")'
        : 'calls go on without it, recorded in the Redis stream only (audit.fail_mode is "open")';
    super(
      'audit_unavailable',
      `the audit ${what} ${file} cannot be written (${describeError(cause)}); ${consequence}`,
      { cause },
    );
  }
}
