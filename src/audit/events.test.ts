import { describe, expect, it } from 'vitest';
import { makeEvent } from '../../test/helpers/audit.js';
import { AUDIT_EVENT_TYPES, AuditEventSchema, decisionOf, newAuditId, timeOfAuditId } from './events.js';

describe('AuditEventSchema', () => {
  it.each(AUDIT_EVENT_TYPES)('accepts a complete %s event', (type) => {
    expect(AuditEventSchema.safeParse(makeEvent(type)).success).toBe(true);
  });

  it('rejects an event missing its type-specific fields', () => {
    const { action: _action, ...noAction } = makeEvent('policy.decided');
    expect(AuditEventSchema.safeParse(noAction).success).toBe(false);
    expect(AuditEventSchema.safeParse(makeEvent('call.outcome', { outcome: 'maybe' as 'ok' })).success).toBe(false);
  });

  it('rejects a bad time, hash, version or type', () => {
    expect(AuditEventSchema.safeParse(makeEvent('call.received', { time: 'yesterday' })).success).toBe(false);
    expect(AuditEventSchema.safeParse(makeEvent('call.received', { args_sha256: 'abc' })).success).toBe(false);
    expect(AuditEventSchema.safeParse({ ...makeEvent('call.received'), v: 2 }).success).toBe(false);
    expect(AuditEventSchema.safeParse({ ...makeEvent('call.received'), type: 'call.other' }).success).toBe(false);
  });
});

describe('decisionOf', () => {
  it('names the policy action, the human decision or what happened instead', () => {
    expect(decisionOf(makeEvent('policy.decided', { action: 'require_approval' }))).toBe('require_approval');
    expect(decisionOf(makeEvent('approval.decided', { decision: 'denied' }))).toBe('denied');
    expect(decisionOf(makeEvent('approval.decided', { decision: 'approval_counted' }))).toBeUndefined();
    expect(decisionOf(makeEvent('approval.expired'))).toBe('expired');
    expect(decisionOf(makeEvent('approval.withdrawn'))).toBe('withdrawn');
    expect(decisionOf(makeEvent('call.rate_limited'))).toBe('rate_limited');
    expect(decisionOf(makeEvent('call.refused'))).toBe('refused');
    expect(decisionOf(makeEvent('call.outcome'))).toBeUndefined();
  });
});

describe('newAuditId', () => {
  it('is 26 Crockford base32 characters that encode the time', () => {
    const at = Date.parse('2026-08-01T12:00:00.000Z');
    const id = newAuditId(at);
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/u);
    expect(timeOfAuditId(id)).toBe(at);
  });

  it('increases strictly within one millisecond and when the clock steps back', () => {
    const at = Date.parse('2030-01-01T00:00:00.000Z');
    const ids = [newAuditId(at), newAuditId(at), newAuditId(at), newAuditId(at - 5_000), newAuditId(at + 1)];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
