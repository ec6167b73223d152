import { describe, expect, it } from 'vitest';
import { makeEvent } from '../../test/helpers/audit.js';
import { formatEvent, matchesQuery, parseDecision, parseSince, parseTypes } from './query.js';

const now = Date.parse('2026-08-01T12:00:00.000Z');

describe('parseSince', () => {
  it('reads a span back from now, or an ISO time', () => {
    expect(parseSince('1h', now)).toBe(now - 3_600_000);
    expect(parseSince('15m', now)).toBe(now - 900_000);
    expect(parseSince('2026-07-31T00:00:00Z', now)).toBe(Date.parse('2026-07-31T00:00:00Z'));
    expect(parseSince('2026-07-31', now)).toBe(Date.parse('2026-07-31'));
    expect(parseSince('yesterday', now)).toBeUndefined();
    expect(parseSince('60', now)).toBeUndefined();
  });
});

describe('parseDecision and parseTypes', () => {
  it('accept known names only', () => {
    expect(parseDecision('rate_limited')).toBe('rate_limited');
    expect(parseDecision('maybe')).toBeUndefined();
    expect(parseTypes('call.outcome, policy.decided')).toEqual({ types: ['call.outcome', 'policy.decided'] });
    expect(parseTypes('call.outcome,call.nope')).toEqual({ unknown: 'call.nope' });
  });
});

describe('matchesQuery', () => {
  it('matches when every given filter matches', () => {
    const denied = makeEvent('policy.decided', { action: 'deny', time: '2026-08-01T11:30:00.000Z' });
    expect(matchesQuery(denied, {})).toBe(true);
    expect(
      matchesQuery(denied, {
        grant: 'ci-agent',
        tool: 'copy_model_version',
        decision: 'deny',
        sinceMs: now - 3_600_000,
      }),
    ).toBe(true);
    expect(matchesQuery(denied, { grant: 'laptop' })).toBe(false);
    expect(matchesQuery(denied, { tool: 'get_model' })).toBe(false);
    expect(matchesQuery(denied, { decision: 'allow' })).toBe(false);
    expect(matchesQuery(denied, { sinceMs: now - 60_000 })).toBe(false);
    expect(matchesQuery(denied, { types: ['call.outcome'] })).toBe(false);
    expect(matchesQuery(denied, { callId: 'call_other' })).toBe(false);
    expect(
      matchesQuery(makeEvent('approval.expired'), { decision: 'expired', approvalId: 'apr_aaaaaaaaaaaaaaaaaaaa' }),
    ).toBe(true);
  });
});

describe('formatEvent', () => {
  it('prints one readable line per event', () => {
    expect(
      formatEvent(makeEvent('policy.decided', { action: 'deny', rule: '/tools/delete_*', reason: 'Destructive' })),
    ).toBe(
      '2026-08-01T12:00:00.000Z  policy.decided      ci-agent  mlflow/copy_model_version  deny /tools/delete_*: Destructive  call_01J0000000AAAAAAAAAAAAAAAA',
    );
    expect(formatEvent(makeEvent('approval.decided', { reason: 'ok' }))).toBe(
      '2026-08-01T12:00:00.000Z  approval.decided    ci-agent  mlflow/copy_model_version  approved by U123 at 2026-08-01T12:01:00.000Z: ok  call_01J0000000AAAAAAAAAAAAAAAA apr_aaaaaaaaaaaaaaaaaaaa',
    );
    expect(formatEvent(makeEvent('call.forwarded'))).toBe(
      '2026-08-01T12:00:00.000Z  call.forwarded      ci-agent  mlflow/copy_model_version  call_01J0000000AAAAAAAAAAAAAAAA',
    );
    expect(formatEvent(makeEvent('call.outcome', { outcome: 'failure', duration_ms: 5.2, error: 'boom' }))).toContain(
      'failure in 5 ms: boom',
    );
  });
});
