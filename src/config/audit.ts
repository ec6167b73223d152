import { z } from 'zod';
import { durationSchema } from '../shared/index.js';

/**
 * Key patterns whose values never leave Airlock: not in the audit file, the stream, Slack, logs.
 * Case-insensitive globs over a property name (`*` any run of characters, `?` one character).
 * A config default, so it lives here; src/audit/redact.ts only applies the effective list.
 */
export const DEFAULT_REDACT_PATTERNS: readonly string[] = [
  '*token*',
  '*secret*',
  '*password*',
  '*api_key*',
  '*apikey*',
  'authorization',
  '*credential*',
  '*private_key*',
];

/**
 * The `audit` section of airlock.config.json. `redact` adds key patterns to the defaults
 * (DEFAULT_REDACT_PATTERNS); `redact_defaults: false` keeps only the listed ones. After parsing,
 * `redact` is the effective list; `slack_summary_window` and `denial_rollup_window` are in
 * milliseconds.
 */
export const AuditConfigSchema = z
  .strictObject({
    /**
     * The audit directory: one hash-chained file per Airlock process instance (src/audit/README.md
     * "Files and processes"). Default `<data dir>/audit`; relative paths are relative to the
     * config file. Always set (absolute) once the config is loaded.
     */
    dir: z.string().min(1).optional(),
    /** One fixed file instead (one writer only: a second process using it is refused). */
    file: z.string().min(1).optional(),
    /** Rotate the file before it would grow past this many bytes. */
    max_bytes: z
      .number()
      .int()
      .min(1)
      .default(64 * 1024 * 1024),
    /** closed: refuse calls while the file cannot be written; open: log and go on. */
    fail_mode: z.enum(['closed', 'open']).default('closed'),
    /** fdatasync after every write batch (power-loss safe, slower). */
    fsync: z.boolean().default(false),
    redact: z.array(z.string().min(1)).default([]),
    redact_defaults: z.boolean().default(true),
    stream: z.strictObject({ maxlen: z.number().int().min(1).default(100_000) }).prefault({}),
    /** Repeats of one kind of event for one tool and grant within this window become one Slack line. */
    slack_summary_window: durationSchema('1m'),
    /**
     * The most bytes of JSON the arguments take in the audit trail: the call's first event holds
     * them whole when they fit, else a preview cut to this size (src/audit/README.md "Arguments").
     */
    args_preview_bytes: z
      .number()
      .int()
      .min(256)
      .max(1024 * 1024)
      .default(4096),
    /**
     * The same denial (grant, server, tool, arguments, rule) again within this window is counted,
     * not written; one `call.denied_repeatedly` event sums the repeats up when the window closes.
     */
    denial_rollup_window: durationSchema('1m'),
  })
  .transform(({ redact, redact_defaults, ...rest }) => ({
    ...rest,
    redact: [...new Set([...(redact_defaults ? DEFAULT_REDACT_PATTERNS : []), ...redact])],
  }));

export type AuditConfig = z.infer<typeof AuditConfigSchema>;
export type AuditConfigInput = z.input<typeof AuditConfigSchema>;
