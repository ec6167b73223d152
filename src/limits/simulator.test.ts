import { describe, expect, it } from 'vitest';
import { parsePolicy, evaluate } from '../policy/index.js';
import { LimitSimulator } from './simulator.js';

const limitsOf = (limits: object[]) =>
  evaluate(parsePolicy({ version: '1', default: 'deny', tools: { t: { limits } } }, 'sim.json'), {
    server: 's',
    tool: 't',
    args: {},
  }).limits;
const who = { grant: 'g', session: 's1' };

describe('LimitSimulator', () => {
  it('admits at most max in any rolling window, with the exact retry-after, consuming nothing when refused', () => {
    const sim = new LimitSimulator();
    const limits = limitsOf([{ counter: 'c', window: '10s', max: 2 }]);
    expect(sim.reserve(limits, who, 0).ok).toBe(true);
    expect(sim.reserve(limits, who, 4_000).ok).toBe(true);
    expect(sim.reserve(limits, who, 5_000)).toMatchObject({
      ok: false,
      limited: { counter: 'c', retryAfterMs: 5_000 },
    });
    // The entry at 0 leaves the window (t − 10 s, t] at exactly 10 s.
    expect(sim.reserve(limits, who, 9_999).ok).toBe(false);
    expect(sim.reserve(limits, who, 10_000).ok).toBe(true);
    expect(sim.reserve(limits, who, 13_000)).toMatchObject({ ok: false, limited: { retryAfterMs: 1_000 } });
  });

  it('shares one log between limits on the same counter, adding one entry per call, and keeps scopes apart', () => {
    const sim = new LimitSimulator();
    const limits = limitsOf([
      { counter: 'c', window: 'minute', max: 3 },
      { counter: 'c', window: 'hour', max: 4 },
      { counter: 'd', window: 'minute', max: 10, scope: 'session' },
    ]);
    for (const t of [0, 1, 2]) expect(sim.reserve(limits, who, t).ok).toBe(true);
    expect(sim.reserve(limits, who, 3)).toMatchObject({ ok: false, limited: { counter: 'c', max: 3 } });
    expect(sim.reserve(limits, who, 60_000).ok).toBe(true);
    // Four in the hour now: the hour limit frees last.
    expect(sim.reserve(limits, who, 120_001)).toMatchObject({
      ok: false,
      limited: { max: 4, retryAfterMs: 3_600_000 - 120_001 },
    });
    expect(sim.reserve(limits, { grant: 'other', session: 's1' }, 120_001).ok).toBe(true);
  });
});
