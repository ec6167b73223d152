import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { AirlockError } from '../shared/errors.js';
import { durationSchema } from '../shared/duration-schema.js';
import { formatIssues } from '../shared/zod-issues.js';
import { DEFAULT_REDACT_PATTERNS } from './redact.js';

export const DEFAULT_AUDIT_FILE = '.airlock/audit.jsonl';

/**
 * The `audit` section of airlock.config.json. `redact` adds key patterns to the defaults
 * (DEFAULT_REDACT_PATTERNS); `redact_defaults: false` keeps only the listed ones. After parsing,
 * `redact` is the effective list and `slack_summary_window` is in milliseconds.
 */
export const AuditConfigSchema = z
  .strictObject({
    /** The hash-chained JSONL file; relative paths are relative to the config file. */
    file: z.string().min(1).default(DEFAULT_AUDIT_FILE),
    /** Rotate the file before it would grow past this many bytes. */
    max_bytes: z.number().int().min(1).default(64 * 1024 * 1024),
    /** closed: refuse calls while the file cannot be written; open: log and go on. */
    fail_mode: z.enum(['closed', 'open']).default('closed'),
    /** fdatasync after every write batch (power-loss safe, slower). */
    fsync: z.boolean().default(false),
    redact: z.array(z.string().min(1)).default([]),
    redact_defaults: z.boolean().default(true),
    stream: z.strictObject({ maxlen: z.number().int().min(1).default(100_000) }).prefault({}),
    /** Repeats of one kind of event for one tool and grant within this window become one Slack line. */
    slack_summary_window: durationSchema('1m'),
  })
  .transform(({ redact, redact_defaults, ...rest }) => ({
    ...rest,
    redact: [...new Set([...(redact_defaults ? DEFAULT_REDACT_PATTERNS : []), ...redact])],
  }));

export type AuditConfig = z.infer<typeof AuditConfigSchema>;
export type AuditConfigInput = z.input<typeof AuditConfigSchema>;

/**
 * The audit section (`config.audit ?? {}`) validated, with `file` made absolute against
 * `baseDir` (the config file's directory; the working directory for the embedded default).
 * Errors name the source and the JSON pointer, like the rest of the config.
 */
export function parseAuditConfig(raw: unknown, options: { source: string; baseDir: string }): AuditConfig {
  const parsed = AuditConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ ...issue, path: ['audit', ...issue.path] }));
    throw new AirlockError('config_invalid', formatIssues(options.source, issues));
  }
  const config = parsed.data;
  return { ...config, file: isAbsolute(config.file) ? config.file : resolve(options.baseDir, config.file) };
}
