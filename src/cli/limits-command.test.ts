import { describe, expect, it } from 'vitest';
import type { CounterUsage } from '../limits/index.js';
import { formatUsageTable } from './limits-command.js';

const now = Date.parse('2026-08-01T12:00:00.000Z');
const row = (over: Partial<CounterUsage>): CounterUsage => ({
  counter: 'copy_model_version_rate',
  scope: 'grant',
  scopeId: 'demo',
  grant: 'demo',
  used: 3,
  max: 30,
  window: 'minute',
  windowMs: 60_000,
  resetsAt: '2026-08-01T12:00:42.000Z',
  key: 'k',
  ...over,
});

describe('formatUsageTable', () => {
  it('prints one aligned row per counter and limit', () => {
    const text = formatUsageTable(
      [
        row({}),
        row({ counter: 'all', scope: 'global', scopeId: '', used: 0, max: 1000, window: 'day', resetsAt: null }),
        row({ scope: 'session', scopeId: 's1', used: 30, resetsAt: '2026-08-01T12:00:01.500Z' }),
      ],
      now,
    );
    expect(text.split('\n')).toEqual([
      'COUNTER                  SCOPE    ID       USED/MAX  WINDOW  RESETS IN',
      'copy_model_version_rate  grant    demo     3/30      minute  42 s',
      'all                      global   -        0/1000    day     -',
      'copy_model_version_rate  session  demo/s1  30/30     minute  2 s',
      '',
    ]);
  });

  it('says so when there is nothing', () => {
    expect(formatUsageTable([], now)).toBe('No rate-limit counters in Redis.\n');
  });
});
