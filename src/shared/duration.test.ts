import { describe, expect, it } from 'vitest';
import {
  DURATION_PATTERN,
  formatClock,
  formatDuration,
  formatSpan,
  parseDuration,
  retryAfterText,
  windowText,
} from './duration.js';

describe('parseDuration', () => {
  it('reads an amount and a unit, spaces allowed between them, and plain numbers as seconds', () => {
    expect(['500ms', '90s', '15m', '2h', '1d', '1.5h', ' 15 m '].map((t) => parseDuration(t))).toEqual([
      500, 90_000, 900_000, 7_200_000, 86_400_000, 5_400_000, 900_000,
    ]);
    expect([90, 0.25].map((n) => parseDuration(n))).toEqual([90_000, 250]);
  });

  it('reads named units only where they are allowed', () => {
    expect(['second', 'minute', 'hour', 'day'].map((t) => parseDuration(t, { named: true }))).toEqual([
      1_000, 60_000, 3_600_000, 86_400_000,
    ]);
    expect(parseDuration('minute')).toBeUndefined();
    expect(parseDuration('toString', { named: true })).toBeUndefined();
  });

  it('rejects what the docs do not promise, even where the ms package would read it', () => {
    for (const text of [
      'soon',
      '',
      '90',
      '-1h',
      '0s',
      '0',
      '15M',
      '1 hour',
      '2 weeks',
      '1y',
      '.5s',
      '1e3s',
      'Infinity',
    ])
      expect(parseDuration(text)).toBeUndefined();
    for (const n of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(parseDuration(n)).toBeUndefined();
  });
});

describe('DURATION_PATTERN', () => {
  it('is the policy form: no spaces, no zero', () => {
    expect(['90s', '1.5h', '500ms'].every((t) => DURATION_PATTERN.test(t))).toBe(true);
    expect(['0s', '0.0m', '15 m', 'minute'].some((t) => DURATION_PATTERN.test(t))).toBe(false);
  });
});

describe('formatDuration', () => {
  it('uses the largest unit that divides evenly', () => {
    expect([900_000, 90_000, 86_400_000, 7_200_000, 250, 1_500].map(formatDuration)).toEqual([
      '15m',
      '90s',
      '1d',
      '2h',
      '250ms',
      '1500ms',
    ]);
  });
});

// Moved unchanged from src/limits/outcome.test.ts, src/audit/slack-lines.test.ts and src/approvals/format.test.ts.
describe('retryAfterText', () => {
  it('rounds up so an agent is never early', () => {
    expect(retryAfterText(1)).toBe('1 s');
    expect(retryAfterText(999)).toBe('1 s');
    expect(retryAfterText(1_001)).toBe('2 s');
    expect(retryAfterText(119_000)).toBe('119 s');
    expect(retryAfterText(120_000)).toBe('2 min');
    expect(retryAfterText(121_000)).toBe('3 min');
    expect(retryAfterText(7_200_000)).toBe('2 h');
    expect(retryAfterText(7_500_000)).toBe('2 h 5 min');
  });
});

describe('windowText', () => {
  it('names the window in words', () => {
    expect([60_000, 3_600_000, 30_000, 300_000, 1_500].map(windowText)).toEqual([
      'minute',
      'hour',
      '30 seconds',
      '5 minutes',
      '1500 ms',
    ]);
  });
});

describe('formatClock', () => {
  const now = Date.UTC(2026, 10, 25, 14, 17);
  it('gives the time of day for today and the date otherwise', () => {
    expect(formatClock(Date.UTC(2026, 10, 25, 14, 32, 40), now)).toBe('14:32 UTC');
    expect(formatClock(Date.UTC(2026, 10, 26, 0, 5), now)).toBe('2026-11-26 00:05 UTC');
  });
});

describe('formatSpan', () => {
  it('uses the largest unit; time left rounds up', () => {
    expect(formatSpan(45_500)).toBe('45s');
    expect(formatSpan(14 * 60_000 + 59_000)).toBe('14m');
    expect(formatSpan(14 * 60_000 + 59_000, { up: true })).toBe('15m');
    expect(formatSpan(3 * 3_600_000)).toBe('3h');
    expect(formatSpan(-5)).toBe('0s');
  });
});
