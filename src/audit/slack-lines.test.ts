import { describe, expect, it } from 'vitest';
import { makeEvent } from '../../test/helpers/audit.js';
import { AUDIT_EVENT_TYPES } from './events.js';
import { BurstSummarizer, escapeSlack, mayHaveSlackLine, mention, slackLine } from './slack-lines.js';

const now = Date.parse('2026-08-01T12:00:00.000Z');

describe('slackLine', () => {
  it('says who ran what, who approved, how it ended and how long it took', () => {
    expect(
      slackLine(makeEvent('call.outcome', { approval_id: 'apr_x', approver: 'U123', duration_ms: 120.4 }), now),
    ).toBe('✅ copy_model_version by ci-agent approved by <@U123> · ok in 120 ms');
    expect(
      slackLine(makeEvent('call.outcome', { outcome: 'failure', duration_ms: 3, error: 'timeout <60s>' }), now),
    ).toBe('❌ copy_model_version by ci-agent · failed after 3 ms: timeout &lt;60s&gt;');
    expect(slackLine(makeEvent('call.outcome', { outcome: 'tool_error', duration_ms: 9 }), now)).toBe(
      '⚠️ copy_model_version by ci-agent · tool error in 9 ms',
    );
  });

  it('gives approval requests, decisions, expiry and withdrawal their own lines', () => {
    expect(slackLine(makeEvent('approval.requested'), now)).toBe(
      '⏳ copy_model_version by ci-agent awaits approval (/tools/copy_model_version) · apr_aaaaaaaaaaaaaaaaaaaa · expires 12:15 UTC',
    );
    expect(
      slackLine(makeEvent('approval.decided', { decision: 'denied', approver: 'U0999', reason: 'not now' }), now),
    ).toBe('👎 copy_model_version by ci-agent denied by <@U0999>: not now');
    expect(slackLine(makeEvent('approval.decided', { approver: 'S0PLATFORM' }), now)).toBe(
      '👍 copy_model_version by ci-agent approved by <!subteam^S0PLATFORM>',
    );
    expect(slackLine(makeEvent('approval.expired'), now)).toBe(
      '⌛ copy_model_version by ci-agent expired without a decision · apr_aaaaaaaaaaaaaaaaaaaa',
    );
    expect(slackLine(makeEvent('approval.withdrawn', { approver: 'alice' }), now)).toBe(
      '↩️ copy_model_version by ci-agent withdrawn by alice',
    );
  });

  it('describes denials, limits and refusals', () => {
    expect(
      slackLine(makeEvent('policy.decided', { action: 'deny', rule: '/tools/delete_*', reason: 'Destructive' }), now),
    ).toBe('🚫 copy_model_version by ci-agent denied by policy (/tools/delete_*): Destructive');
    expect(slackLine(makeEvent('call.rate_limited'), now)).toBe(
      '🐢 copy_model_version by ci-agent rate-limited: copy_rate allows 30 per minute, retry in 12 s',
    );
    expect(slackLine(makeEvent('call.refused'), now)).toBe(
      '🛑 copy_model_version by ci-agent refused (limits_unavailable): Redis is unreachable',
    );
  });

  it('shows nothing for received, forwarded, allow and re-attach events', () => {
    expect(slackLine(makeEvent('call.received'), now)).toBeUndefined();
    expect(slackLine(makeEvent('call.forwarded'), now)).toBeUndefined();
    expect(slackLine(makeEvent('policy.decided'), now)).toBeUndefined();
    expect(slackLine(makeEvent('policy.decided', { action: 'require_approval' }), now)).toBeUndefined();
    expect(slackLine(makeEvent('approval.requested', { attached: true }), now)).toBeUndefined();
  });

  it('never carries arguments (they may hold secrets even redacted keys miss)', () => {
    const line = slackLine(makeEvent('call.outcome', { args: { note: 'hunter2' } }), now);
    expect(line).not.toContain('hunter2');
  });
});

describe('mayHaveSlackLine', () => {
  it('is true for every event slackLine gives a line for', () => {
    const events = [
      ...AUDIT_EVENT_TYPES.map((type) => makeEvent(type)),
      ...(['deny', 'require_approval'] as const).map((action) => makeEvent('policy.decided', { action })),
    ];
    for (const event of events) {
      const filter = mayHaveSlackLine(event.type, (event as { action?: string }).action);
      expect({ type: event.type, filter: filter || slackLine(event, now) === undefined }).toEqual({
        type: event.type,
        filter: true,
      });
    }
    expect(mayHaveSlackLine('call.received')).toBe(false);
    expect(mayHaveSlackLine('policy.decided', 'allow')).toBe(false);
  });
});

describe('escapeSlack and mention', () => {
  it('escapes mrkdwn control characters and formats ids as mentions', () => {
    expect(escapeSlack('a & <b>')).toBe('a &amp; &lt;b&gt;');
    expect(mention('U0123ABCD')).toBe('<@U0123ABCD>');
    expect(mention('W0123ABCD')).toBe('<@W0123ABCD>');
    expect(mention('<!channel>')).toBe('&lt;!channel&gt;');
  });
});

describe('BurstSummarizer', () => {
  function setup(windowMs = 60_000) {
    let clock = now;
    const posted: string[] = [];
    const summarizer = new BurstSummarizer({ windowMs, post: (t) => posted.push(t), now: () => clock });
    return { summarizer, posted, advance: (ms: number) => (clock += ms) };
  }

  it('posts the first event of a burst, then one summary line for the window', () => {
    const { summarizer, posted, advance } = setup();
    for (let i = 0; i < 57; i++) {
      summarizer.add(makeEvent('call.rate_limited'));
      advance(1_000);
    }
    expect(posted).toEqual([
      '🐢 copy_model_version by ci-agent rate-limited: copy_rate allows 30 per minute, retry in 12 s',
    ]);
    advance(3_000);
    summarizer.tick();
    expect(posted.slice(1)).toEqual(['copy_model_version rate-limited 57 times for grant ci-agent in the last minute']);
  });

  it('while a burst goes on, posts one summary per window and no individual lines; a quiet window ends it', () => {
    const { summarizer, posted, advance } = setup();
    summarizer.add(makeEvent('call.rate_limited'));
    summarizer.add(makeEvent('call.rate_limited'));
    advance(60_000);
    summarizer.tick();
    summarizer.add(makeEvent('call.rate_limited'));
    advance(60_000);
    summarizer.tick();
    advance(60_000);
    summarizer.tick();
    summarizer.add(makeEvent('call.rate_limited'));
    expect(posted.map((l) => (l.startsWith('🐢') ? 'individual' : l))).toEqual([
      'individual',
      'copy_model_version rate-limited 2 times for grant ci-agent in the last minute',
      'copy_model_version rate-limited once for grant ci-agent in the last minute',
      'individual',
    ]);
  });

  it('keeps bursts apart by kind, tool and grant', () => {
    const { summarizer, posted, advance } = setup();
    const events = [
      makeEvent('call.rate_limited'),
      makeEvent('call.rate_limited', { grant: 'laptop' }),
      makeEvent('call.rate_limited', { tool: 'get_model' }),
      makeEvent('policy.decided', { action: 'deny', rule: '/tools/x' }),
      makeEvent('call.outcome'),
    ];
    for (const event of [...events, ...events]) summarizer.add(event);
    expect(posted).toHaveLength(5);
    advance(60_000);
    summarizer.tick();
    expect(posted.slice(5)).toEqual([
      'copy_model_version rate-limited 2 times for grant ci-agent in the last minute',
      'copy_model_version rate-limited 2 times for grant laptop in the last minute',
      'get_model rate-limited 2 times for grant ci-agent in the last minute',
      'copy_model_version denied by policy 2 times for grant ci-agent in the last minute',
      'copy_model_version ran ok 2 times for grant ci-agent in the last minute',
    ]);
  });

  it('never rolls up approval events or outcomes of approved calls', () => {
    const { summarizer, posted } = setup();
    for (let i = 0; i < 3; i++) {
      summarizer.add(makeEvent('approval.decided'));
      summarizer.add(makeEvent('call.outcome', { approval_id: 'apr_x', approver: 'U1' }));
    }
    expect(posted).toHaveLength(6);
  });

  it('posts nothing more for a single event, and flushes pending summaries on demand', () => {
    const { summarizer, posted, advance } = setup();
    summarizer.add(makeEvent('call.outcome'));
    advance(61_000);
    summarizer.tick();
    expect(posted).toHaveLength(1);
    summarizer.add(makeEvent('call.refused'));
    summarizer.add(makeEvent('call.refused'));
    summarizer.flush();
    expect(posted.at(-1)).toBe('copy_model_version refused 2 times for grant ci-agent in the last minute');
  });
});
