import { describe, expect, it } from 'vitest';
import { DEFAULT_REDACT_PATTERNS } from '../config/index.js';
import { canonicalJson } from '../shared/index.js';
import { argsSha256 } from './digest.js';
import { AuditEventSchema, type AuditEvent } from './events.js';
import { createRedactor } from './redact.js';
import { CallTrail, MAX_TEXT_CHARS, type TrailSink } from './trail.js';

function setup() {
  let clock = Date.parse('2026-08-01T12:00:00.000Z');
  const events: AuditEvent[] = [];
  const sink: TrailSink = {
    now: () => clock,
    record: async (json) => {
      events.push(AuditEventSchema.parse(JSON.parse(json)));
    },
  };
  const trail = new CallTrail(
    sink,
    {
      grant: 'ci-agent',
      session: 's1',
      server: 'mlflow',
      tool: 'copy_model_version',
      args: { name: 'm', api_token: 'sk-live-123' },
    },
    createRedactor(DEFAULT_REDACT_PATTERNS),
  );
  return { trail, events, advance: (ms: number) => (clock += ms) };
}

describe('CallTrail', () => {
  it('emits schema-valid events that share the call identity and the full args hash; only the first carries the redacted args', async () => {
    const { trail, events } = setup();
    await trail.emit('call.received');
    await trail.emit('policy.decided', { rule: '/tools/copy_model_version', action: 'allow' });
    await trail.emit('call.forwarded');
    expect(events.map((e) => e.type)).toEqual(['call.received', 'policy.decided', 'call.forwarded']);
    for (const event of events) {
      expect(event).toMatchObject({
        v: 1,
        call_id: trail.callId,
        grant: 'ci-agent',
        session: 's1',
        server: 'mlflow',
        tool: 'copy_model_version',
      });
      expect(event.args_sha256).toBe(argsSha256({ api_token: 'sk-live-123', name: 'm' }));
    }
    expect(events[0]).toMatchObject({
      args: { name: 'm', api_token: '[redacted]' },
      args_bytes: canonicalJson({ api_token: 'sk-live-123', name: 'm' }).length,
    });
    for (const later of events.slice(1)) {
      expect(later).not.toHaveProperty('args');
      expect(later).not.toHaveProperty('args_bytes');
    }
    expect(events[0]!.id < events[1]!.id).toBe(true);
    expect(JSON.stringify(events)).not.toContain('sk-live-123');
  });

  it("holds a first call.received until the call's next event, or writes it in the next turn when none comes", async () => {
    const { trail, events } = setup();
    const received = trail.emit('call.received');
    expect(events).toHaveLength(0);
    const decided = trail.emit('policy.decided', { rule: '/r', action: 'allow' });
    expect(events.map((e) => e.type)).toEqual(['call.received', 'policy.decided']);
    await Promise.all([received, decided]);
    const alone = setup();
    await alone.trail.emit('call.received');
    expect(alone.events).toEqual([
      expect.objectContaining({ type: 'call.received', args: { name: 'm', api_token: '[redacted]' } }),
    ]);
  });

  it('writes nothing of a call whose denial the roll-up counts as a repeat, and resolves at once', async () => {
    const written: string[] = [];
    const asked: unknown[] = [];
    const sink: TrailSink = {
      now: () => 0,
      record: async (json) => void written.push(json),
      rollUpDenial: (denial) => (asked.push(denial), true),
    };
    const trail = new CallTrail(sink, { grant: 'g', server: 's', tool: 't', args: { n: 1 } }, createRedactor([]));
    const received = trail.emit('call.received');
    await trail.emit('policy.decided', { rule: '/tools/t', action: 'deny', reason: 'no' });
    await received;
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).toEqual([]);
    expect(asked).toEqual([
      {
        grant: 'g',
        server: 's',
        tool: 't',
        args_sha256: argsSha256({ n: 1 }),
        rule: '/tools/t',
        call_id: trail.callId,
        reason: 'no',
      },
    ]);
    // Allowed calls, and denials once something of the call is written, never roll up.
    const allowed = new CallTrail(sink, { grant: 'g', server: 's', tool: 't', args: {} }, createRedactor([]));
    await allowed.emit('policy.decided', { rule: '/r', action: 'allow' });
    const late = new CallTrail(sink, { grant: 'g', server: 's', tool: 't', args: {} }, createRedactor([]));
    await late.emit('call.received');
    await late.emit('policy.decided', { rule: '/r', action: 'deny' });
    expect(written.map((j) => (JSON.parse(j) as AuditEvent).type)).toEqual([
      'policy.decided',
      'call.received',
      'policy.decided',
    ]);
    expect(asked).toHaveLength(1);
  });

  it('cuts long free text (errors, reasons) to MAX_TEXT_CHARS', async () => {
    const { trail, events } = setup();
    await trail.emit('call.outcome', { outcome: 'failure', error: 'e'.repeat(100_000) });
    const error = (events[0] as { error: string }).error;
    expect(error.length).toBeLessThan(MAX_TEXT_CHARS + 40);
    expect(error).toMatch(/^e+… \[\d+ more characters\]$/u);
  });

  it('adds the approval id to events after it is set', async () => {
    const { trail, events } = setup();
    await trail.emit('call.received');
    trail.setApproval('apr_x');
    await trail.emit('approval.requested', { rule: '/r', expires_at: '2026-08-01T12:15:00.000Z' });
    expect(events.map((e) => e.approval_id)).toEqual([undefined, 'apr_x']);
    expect(trail.approvalId).toBe('apr_x');
  });

  it("measures an outcome's duration from the forward (or from the start when never forwarded)", async () => {
    const { trail, events, advance } = setup();
    advance(50);
    await trail.emit('call.forwarded');
    advance(120);
    await trail.emit('call.outcome', { outcome: 'ok' });
    await trail.emit('call.outcome', { outcome: 'ok', duration_ms: 7 });
    expect(
      events.filter((e) => e.type === 'call.outcome').map((e) => (e as { duration_ms: number }).duration_ms),
    ).toEqual([120, 7]);
    const other = setup();
    other.advance(30);
    await other.trail.emit('call.outcome', { outcome: 'failure', error: 'x' });
    expect(other.events[0]).toMatchObject({ duration_ms: 30, error: 'x' });
  });

  it('drops undefined fields and survives arguments JSON cannot hold', async () => {
    const { events } = setup();
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const sink: TrailSink = { now: () => 0, record: async (json) => void events.push(JSON.parse(json) as AuditEvent) };
    const trail = new CallTrail(sink, { grant: 'g', server: 's', tool: 't', args: cyclic }, createRedactor([]));
    await trail.emit('policy.decided', { rule: '/r', action: 'deny', reason: undefined });
    expect(events[0]).toMatchObject({
      args: { a: 1, self: '[circular]' },
      args_sha256: expect.stringMatching(/^[0-9a-f]{64}$/u),
    });
    expect(events[0]).not.toHaveProperty('reason');
    expect(events[0]).not.toHaveProperty('session');
  });
});
