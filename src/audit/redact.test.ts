import { describe, expect, it } from 'vitest';
import { DEFAULT_REDACT_PATTERNS } from '../config/index.js';
import { createRedactor, REDACTED } from './redact.js';

describe('createRedactor', () => {
  const redact = createRedactor(DEFAULT_REDACT_PATTERNS);

  it('replaces values whose key matches a default pattern, at any depth and inside arrays', () => {
    const input = {
      name: 'm',
      auth: {
        access_token: 'tok-1',
        Authorization: 'Bearer x',
        nested: [{ client_secret: 's', keep: 1 }, { password: 'p' }],
      },
      list: [[{ API_KEY: 'k' }]],
      credentials: { user: 'u' },
      sshPrivate_Key: 'pem',
    };
    expect(redact(input)).toEqual({
      name: 'm',
      auth: {
        access_token: REDACTED,
        Authorization: REDACTED,
        nested: [{ client_secret: REDACTED, keep: 1 }, { password: REDACTED }],
      },
      list: [[{ API_KEY: REDACTED }]],
      credentials: REDACTED,
      sshPrivate_Key: REDACTED,
    });
  });

  it('matches keys case-insensitively and exactly where the glob has no star', () => {
    const only = createRedactor(['password', 'x?y']);
    expect(only({ PASSWORD: 1, Password: 2, old_password: 3, xay: 4, xaay: 5 })).toEqual({
      PASSWORD: REDACTED,
      Password: REDACTED,
      old_password: 3,
      xay: REDACTED,
      xaay: 5,
    });
  });

  it('treats regex characters in patterns literally', () => {
    const literal = createRedactor(['a.b', '(x)|y']);
    expect(literal({ 'a.b': 1, axb: 2, '(x)|y': 3, y: 4 })).toEqual({
      'a.b': REDACTED,
      axb: 2,
      '(x)|y': REDACTED,
      y: 4,
    });
  });

  it('does not change its input', () => {
    const input = { token: 'secret-value', deep: { password: 'p', list: [1, { secret: 2 }] } };
    const copy = structuredClone(input);
    const out = redact(input) as typeof input;
    expect(input).toEqual(copy);
    expect(out.deep).not.toBe(input.deep);
    expect(out.deep.list).not.toBe(input.deep.list);
  });

  it('keeps scalars, null and non-matching structure unchanged', () => {
    expect(redact('token')).toBe('token');
    expect(redact(null)).toBeNull();
    expect(redact([1, 'a', true, null])).toEqual([1, 'a', true, null]);
    expect(redact({ a: undefined, n: 10n })).toEqual({ a: undefined, n: '10' });
  });

  it('cuts cycles and excessive depth instead of recursing forever', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    expect(redact(cyclic)).toEqual({ name: 'loop', self: '[circular]' });
    let deep: unknown = 'bottom';
    for (let i = 0; i < 10_000; i++) deep = { d: deep };
    const shallow = createRedactor([], { maxDepth: 3 });
    expect(shallow({ a: { b: { c: { d: 1 } } } })).toEqual({ a: { b: { c: '[too deep]' } } });
    expect(() => redact(deep)).not.toThrow();
  });

  it('copies a large argument object quickly', () => {
    const big = {
      rows: Array.from({ length: 100_000 }, (_, i) => ({ id: i, api_key: `k${i}`, value: 'x'.repeat(10) })),
    };
    const started = performance.now();
    const out = redact(big) as typeof big;
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(out.rows[99_999]).toEqual({ id: 99_999, api_key: REDACTED, value: 'xxxxxxxxxx' });
  });

  it('redacts nothing with no patterns', () => {
    expect(createRedactor([])({ token: 't' })).toEqual({ token: 't' });
  });
});
