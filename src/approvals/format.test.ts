import { describe, expect, it } from 'vitest';
import { formatClock, formatSpan, summarizeArgs } from './format.js';

describe('summarizeArgs', () => {
  it('renders key=value pairs on one line', () => {
    expect(summarizeArgs({ name: 'm', version: 3, tags: { a: 'b c' } })).toBe('name="m" version=3 tags={"a":"b c"}');
  });

  it('cuts long values and the whole line', () => {
    const text = summarizeArgs({ note: 'x'.repeat(500), other: 'y\nz' }, { max: 60, valueMax: 20 });
    expect(text).toBe(`note="${'x'.repeat(18)}… other="y\\nz"`);
    expect([...summarizeArgs({ a: 'a'.repeat(30), b: 'b'.repeat(30), c: 'c'.repeat(30), d: 'd'.repeat(30) })].length).toBeLessThanOrEqual(120);
  });

  it('says so when there are no arguments', () => {
    expect(summarizeArgs({})).toBe('(no arguments)');
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
