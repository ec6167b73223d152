import { describe, expect, it } from 'vitest';
import { checkSlackTimestamp, MAX_CLOCK_SKEW_S } from './request-guard.js';

const NOW_MS = 1_780_000_000_000;
const nowS = NOW_MS / 1_000;
const stamp = (offsetS: number) => String(nowS + offsetS);

describe('checkSlackTimestamp', () => {
  it('accepts timestamps within five minutes of the clock, either way', () => {
    expect(MAX_CLOCK_SKEW_S).toBe(300);
    for (const offset of [0, 1, -1, 299, -299, 300, -300])
      expect(checkSlackTimestamp(stamp(offset), NOW_MS)).toEqual({ ok: true });
  });

  it('refuses a timestamp more than five minutes ahead: Bolt alone would accept it', () => {
    expect(checkSlackTimestamp(stamp(301), NOW_MS)).toEqual({ ok: false, reason: 'future', skewSeconds: 301 });
    expect(checkSlackTimestamp(stamp(600), NOW_MS)).toEqual({ ok: false, reason: 'future', skewSeconds: 600 });
  });

  it('refuses a timestamp more than five minutes old, saying by how much', () => {
    expect(checkSlackTimestamp(stamp(-301), NOW_MS)).toEqual({ ok: false, reason: 'past', skewSeconds: 301 });
  });

  it('uses the clock it is given, not the machine clock', () => {
    expect(checkSlackTimestamp(stamp(0), NOW_MS + 600_000)).toEqual({ ok: false, reason: 'past', skewSeconds: 600 });
    expect(checkSlackTimestamp(stamp(0), NOW_MS - 600_000)).toEqual({ ok: false, reason: 'future', skewSeconds: 600 });
  });

  it('refuses a missing, repeated or non-numeric header', () => {
    expect(checkSlackTimestamp(undefined, NOW_MS)).toEqual({ ok: false, reason: 'missing' });
    for (const header of ['', 'soon', '1.5', '-1', ' 1780000000', '1e9', '1780000000000000'] as const) {
      expect(checkSlackTimestamp(header, NOW_MS)).toEqual({ ok: false, reason: 'malformed' });
    }
    expect(checkSlackTimestamp([stamp(0), stamp(0)], NOW_MS)).toEqual({ ok: false, reason: 'malformed' });
  });
});
