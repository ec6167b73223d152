import { describe, expect, it } from 'vitest';
import { AuditConfigSchema, parseAuditConfig } from './config.js';
import { DEFAULT_REDACT_PATTERNS } from './redact.js';

describe('AuditConfigSchema', () => {
  it('fills in the defaults', () => {
    expect(AuditConfigSchema.parse({})).toEqual({
      file: '.airlock/audit.jsonl',
      max_bytes: 64 * 1024 * 1024,
      fail_mode: 'closed',
      fsync: false,
      redact: [...DEFAULT_REDACT_PATTERNS],
      stream: { maxlen: 100_000 },
      slack_summary_window: 60_000,
    });
  });

  it('adds configured redact patterns to the defaults, or replaces them with redact_defaults: false', () => {
    expect(AuditConfigSchema.parse({ redact: ['*session*', '*token*'] }).redact).toEqual([...DEFAULT_REDACT_PATTERNS, '*session*']);
    expect(AuditConfigSchema.parse({ redact: ['ssn'], redact_defaults: false }).redact).toEqual(['ssn']);
  });

  it('rejects unknown keys and bad values', () => {
    expect(AuditConfigSchema.safeParse({ fiel: 'x' }).success).toBe(false);
    expect(AuditConfigSchema.safeParse({ fail_mode: 'maybe' }).success).toBe(false);
    expect(AuditConfigSchema.safeParse({ stream: { maxlen: 0 } }).success).toBe(false);
    expect(AuditConfigSchema.safeParse({ slack_summary_window: 'soon' }).success).toBe(false);
  });
});

describe('parseAuditConfig', () => {
  it('makes the file absolute against the base directory', () => {
    expect(parseAuditConfig({ file: 'logs/a.jsonl' }, { source: 'c.json', baseDir: '/srv/airlock' }).file).toBe('/srv/airlock/logs/a.jsonl');
    expect(parseAuditConfig(undefined, { source: 'c.json', baseDir: '/srv' }).file).toBe('/srv/.airlock/audit.jsonl');
    expect(parseAuditConfig({ file: '/var/log/a.jsonl' }, { source: 'c.json', baseDir: '/srv' }).file).toBe('/var/log/a.jsonl');
  });

  it('names the source and the JSON pointer of a problem', () => {
    const parse = () => parseAuditConfig({ max_bytes: -1, oops: 1 }, { source: 'airlock.config.json', baseDir: '/' });
    expect(parse).toThrow(/^airlock\.config\.json: \/audit: unknown key "oops"$/mu);
    expect(parse).toThrow(/^airlock\.config\.json: \/audit\/max_bytes: /mu);
  });
});
