import { describe, expect, it } from 'vitest';
import { auditConfig, fileLines, fileOf, quietLog } from '../../test/helpers/audit.js';
import { tempDir } from '../../test/helpers/paths.js';
import { AuditLog } from './audit-log.js';
import { withoutChainFields } from './chain.js';
import { DenialRollup, type Denial, type RepeatedDenials } from './denial-rollup.js';
import { AuditEventSchema, decisionOf, type AuditEvent } from './events.js';
import { formatEvent } from './query.js';
import { verifyAuditFiles } from './verify.js';

const start = Date.parse('2026-08-01T12:00:00.000Z');
const denial = (over: Partial<Denial> = {}): Denial => ({
  grant: 'ci-agent',
  server: 'mlflow',
  tool: 'delete_run',
  args_sha256: 'a'.repeat(64),
  rule: '/tools/delete_run',
  reason: 'Destructive',
  call_id: 'call_1',
  ...over,
});

function setup(windowMs = 60_000) {
  let clock = start;
  const written: RepeatedDenials[] = [];
  const rollup = new DenialRollup({ windowMs, now: () => clock, write: (r) => written.push(r) });
  return { rollup, written, advance: (ms: number) => (clock += ms) };
}

describe('DenialRollup', () => {
  it('writes the first denial, counts its repeats within the window, and sums them up when the window closes', () => {
    const { rollup, written, advance } = setup();
    expect(rollup.add(denial())).toBe(false);
    advance(1_000);
    for (let i = 2; i <= 200; i++) {
      expect(rollup.add(denial({ call_id: `call_${i}` }))).toBe(true);
      advance(100);
    }
    rollup.tick();
    expect(written).toEqual([]); // 20.9 s in: still open
    advance(40_000);
    rollup.tick();
    expect(written).toEqual([
      {
        grant: 'ci-agent',
        server: 'mlflow',
        tool: 'delete_run',
        args_sha256: 'a'.repeat(64),
        rule: '/tools/delete_run',
        reason: 'Destructive',
        first_call_id: 'call_1',
        count: 199,
        since: start + 1_000,
        until: start + 1_000 + 198 * 100,
      },
    ]);
    expect(rollup.size).toBe(0);
  });

  it('writes a denial that differs in arguments, rule, tool, server or grant', () => {
    const { rollup, written } = setup();
    expect(rollup.add(denial())).toBe(false);
    for (const other of [
      { args_sha256: 'b'.repeat(64) },
      { rule: '/default' },
      { tool: 'delete_model' },
      { server: 'other' },
      { grant: 'laptop' },
    ]) {
      expect(rollup.add(denial(other))).toBe(false);
    }
    expect(rollup.add(denial({ call_id: 'call_again' }))).toBe(true);
    rollup.flush();
    expect(written.map((r) => [r.first_call_id, r.count])).toEqual([['call_1', 1]]);
  });

  it('after the window, the same denial is written in full again and opens the next window; the ended one is summed up first', () => {
    const { rollup, written, advance } = setup(1_000);
    rollup.add(denial());
    rollup.add(denial({ call_id: 'call_2' }));
    advance(1_000);
    expect(rollup.add(denial({ call_id: 'call_3' }))).toBe(false);
    expect(written.map((r) => [r.first_call_id, r.count])).toEqual([['call_1', 1]]);
    expect(rollup.add(denial({ call_id: 'call_4' }))).toBe(true);
    rollup.flush();
    expect(written.map((r) => [r.first_call_id, r.count])).toEqual([
      ['call_1', 1],
      ['call_3', 1],
    ]);
  });

  it('writes no summary for a window without repeats, and keeps at most maxWindows open', () => {
    const written: RepeatedDenials[] = [];
    const rollup = new DenialRollup({
      windowMs: 60_000,
      now: () => start,
      write: (r) => written.push(r),
      maxWindows: 2,
    });
    for (const sha of ['a', 'b', 'c']) rollup.add(denial({ args_sha256: sha.repeat(64) }));
    expect(rollup.size).toBe(2);
    expect(rollup.add(denial({ args_sha256: 'c'.repeat(64) }))).toBe(false); // not tracked: written in full
    rollup.flush();
    expect(written).toEqual([]);
  });
});

describe('repeated denials in the audit trail', () => {
  function openLog(windowMs: number, clock: { now: number }, lines?: string[]) {
    const audit = AuditLog.open({
      config: auditConfig(tempDir(), { denial_rollup_window: `${windowMs}ms`, slack_summary_window: '1m' }),
      log: quietLog,
      now: () => clock.now,
      ...(lines === undefined ? {} : { lines: { post: (text: string) => lines.push(text) } }),
    });
    return audit;
  }
  const deny = async (audit: AuditLog, args: unknown, rule = '/tools/delete_run') => {
    const trail = audit.call({ grant: 'ci-agent', session: 's1', server: 'mlflow', tool: 'delete_run', args });
    void trail.emit('call.received');
    await trail.emit('policy.decided', { rule, action: 'deny', reason: 'Destructive' });
    return trail.callId;
  };
  const events = (audit: AuditLog) =>
    fileLines(fileOf(audit)).map((l) =>
      AuditEventSchema.parse(withoutChainFields(JSON.parse(l) as Record<string, unknown>)),
    );

  it('writes one full denial and, at close(), one call.denied_repeatedly summary; the chain verifies', async () => {
    const clock = { now: start };
    const lines: string[] = [];
    const audit = openLog(60_000, clock, lines);
    const first = await deny(audit, { run_id: 'r1' });
    for (let i = 0; i < 999; i++) {
      clock.now += 10;
      await deny(audit, { run_id: 'r1' });
    }
    const other = await deny(audit, { run_id: 'r2' });
    await deny(audit, { run_id: 'r1' }, '/default');
    await audit.flush();
    expect(events(audit).map((e) => [e.type, e.call_id === first])).toEqual([
      ['call.received', true],
      ['policy.decided', true],
      ['call.received', false],
      ['policy.decided', false],
      ['call.received', false],
      ['policy.decided', false],
    ]);
    expect(events(audit).find((e) => e.call_id === other)).toMatchObject({
      type: 'call.received',
      args: { run_id: 'r2' },
    });
    await audit.close();
    const summary = events(audit).at(-1)!;
    expect(summary).toMatchObject({
      type: 'call.denied_repeatedly',
      call_id: first,
      first_call_id: first,
      grant: 'ci-agent',
      server: 'mlflow',
      tool: 'delete_run',
      rule: '/tools/delete_run',
      reason: 'Destructive',
      count: 999,
      args_sha256: events(audit)[0]!.args_sha256,
      since: new Date(start + 10).toISOString(),
      until: new Date(start + 9_990).toISOString(),
    });
    expect(summary).not.toHaveProperty('args');
    expect(decisionOf(summary)).toBe('deny');
    expect(formatEvent(summary)).toContain(
      'deny /tools/delete_run: Destructive · 999 more times with the same arguments',
    );
    expect(verifyAuditFiles([fileOf(audit)])).toMatchObject({ ok: true, lines: 7 });
    // Slack: the first denial's line, then one summary for the burst that counts every denial once.
    expect(lines.filter((l) => l.includes('(/tools/delete_run)') || l.includes('delete_run denied by policy'))).toEqual(
      [
        '🚫 delete_run by ci-agent denied by policy (/tools/delete_run): Destructive',
        'delete_run denied by policy 1002 times for grant ci-agent in the last minute',
      ],
    );
  });

  it('writes the summary when the window closes, on the timer', async () => {
    const clock = { now: start };
    const audit = openLog(100, clock);
    try {
      await deny(audit, { run_id: 'r1' });
      await deny(audit, { run_id: 'r1' });
      await deny(audit, { run_id: 'r1' });
      clock.now += 100;
      // The timer ticks every 250 ms; wait for its write, not for a fixed time.
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (audit.rollupWindows === 0) resolve(clearInterval(poll));
        }, 10);
      });
      await audit.flush();
      expect(events(audit).map((e) => e.type)).toEqual(['call.received', 'policy.decided', 'call.denied_repeatedly']);
      expect(events(audit)[2]).toMatchObject({ count: 2 });
    } finally {
      await audit.close();
    }
  });

  it('posts its own Slack line when the burst of denials has ended before the summary', async () => {
    const clock = { now: start };
    const lines: string[] = [];
    const audit = AuditLog.open({
      config: auditConfig(tempDir(), { denial_rollup_window: '10m', slack_summary_window: '1m' }),
      log: quietLog,
      now: () => clock.now,
      lines: { post: (t) => lines.push(t) },
    });
    await deny(audit, { run_id: 'r1' });
    clock.now += 1_000;
    await deny(audit, { run_id: 'r1' });
    clock.now += 120_000;
    await audit.close();
    expect(lines).toEqual([
      '🚫 delete_run by ci-agent denied by policy (/tools/delete_run): Destructive',
      '🚫 delete_run by ci-agent denied by policy once more with the same arguments (/tools/delete_run) since 12:00 UTC',
    ]);
  });
});

export type { AuditEvent };
