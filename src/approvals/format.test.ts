import { describe, expect, it } from 'vitest';
import { summarizeArgs } from './format.js';

describe('summarizeArgs', () => {
  it('renders key=value pairs on one line', () => {
    expect(summarizeArgs({ name: 'm', version: 3, tags: { a: 'b c' } })).toBe('name="m" version=3 tags={"a":"b c"}');
  });

  it('cuts long values and the whole line', () => {
    const text = summarizeArgs({ note: 'x'.repeat(500), other: 'y\nz' }, { max: 60, valueMax: 20 });
    expect(text).toBe(`note="${'x'.repeat(18)}… other="y\\nz"`);
    expect(
      [...summarizeArgs({ a: 'a'.repeat(30), b: 'b'.repeat(30), c: 'c'.repeat(30), d: 'd'.repeat(30) })].length,
    ).toBeLessThanOrEqual(120);
  });

  it('says so when there are no arguments', () => {
    expect(summarizeArgs({})).toBe('(no arguments)');
  });
});
