import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from './load.js';

const dataDir = mkdtempSync(join(tmpdir(), 'airlock-data-'));
const base = {
  upstreams: { mlflow: { command: 'uvx' } },
  policy: 'policy.json',
  grants: [
    { name: 'alpha', token: 'alpha-token-0123456789' },
    { name: 'bravo', token: 'bravo-token-0123456789' },
  ],
};
const validate = (raw: unknown) => validateConfig(raw, 'airlock.config.json', dataDir, dataDir);
const problem = (raw: unknown): string => {
  try {
    validate(raw);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
};

describe('session caps at config load', () => {
  it('defaults to 100 per grant under 1000 in all, and stays below a lower sessions.max', () => {
    expect(validate(base).sessions).toMatchObject({ max: 1_000, max_per_grant: 100 });
    expect(validate({ ...base, sessions: { max: 40 } }).sessions.max_per_grant).toBe(39);
  });

  it('refuses a per-grant cap that would let one grant take every session', () => {
    expect(problem({ ...base, sessions: { max: 50, max_per_grant: 50 } })).toBe(
      'airlock.config.json: /sessions/max_per_grant: 50 is too high: set it below sessions.max (50) so one grant cannot take every session, or raise sessions.max',
    );
    const grants = [base.grants[0], { ...base.grants[1], max_sessions: 1_000 }];
    expect(problem({ ...base, grants })).toBe(
      'airlock.config.json: /grants/1/max_sessions: 1000 (grant "bravo") is too high: set it below sessions.max (1000) so one grant cannot take every session, or raise sessions.max',
    );
  });

  it('lets a lone grant use every session', () => {
    expect(validate({ ...base, grants: [{ ...base.grants[0], max_sessions: 1_000 }] }).grants[0]!.max_sessions).toBe(
      1_000,
    );
    expect(problem({ ...base, grants: [base.grants[0]], sessions: { max: 10, max_per_grant: 11 } })).toMatch(
      /set it at most sessions\.max \(10\)/u,
    );
  });
});
