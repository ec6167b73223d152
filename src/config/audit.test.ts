import { describe, expect, it } from 'vitest';
import { AuditConfigSchema, DEFAULT_REDACT_PATTERNS } from './audit.js';

describe('AuditConfigSchema', () => {
  it('fills in the defaults', () => {
    expect(AuditConfigSchema.parse({})).toEqual({
      max_bytes: 64 * 1024 * 1024,
      fail_mode: 'closed',
      fsync: false,
      redact: [...DEFAULT_REDACT_PATTERNS],
      stream: { maxlen: 100_000 },
      slack_summary_window: 60_000,
      args_preview_bytes: 4096,
      denial_rollup_window: 60_000,
    });
  });

  it('adds configured redact patterns to the defaults, or replaces them with redact_defaults: false', () => {
    expect(AuditConfigSchema.parse({ redact: ['*session*', '*token*'] }).redact).toEqual([
      ...DEFAULT_REDACT_PATTERNS,
      '*session*',
    ]);
    expect(AuditConfigSchema.parse({ redact: ['ssn'], redact_defaults: false }).redact).toEqual(['ssn']);
  });

  it('rejects unknown keys and bad values', () => {
    expect(AuditConfigSchema.safeParse({ fiel: 'x' }).success).toBe(false);
    expect(AuditConfigSchema.safeParse({ fail_mode: 'maybe' }).success).toBe(false);
    expect(AuditConfigSchema.safeParse({ stream: { maxlen: 0 } }).success).toBe(false);
    expect(AuditConfigSchema.safeParse({ slack_summary_window: 'soon' }).success).toBe(false);
    expect(AuditConfigSchema.safeParse({ args_preview_bytes: 10 }).success).toBe(false);
    expect(AuditConfigSchema.safeParse({ denial_rollup_window: 'later' }).success).toBe(false);
    expect(AuditConfigSchema.parse({ denial_rollup_window: '250ms' }).denial_rollup_window).toBe(250);
  });
});
