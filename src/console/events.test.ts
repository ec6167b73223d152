import { describe, expect, it } from 'vitest';
import { auditConfig, quietLog } from '../../test/helpers/audit.js';
import { tempDir } from '../../test/helpers/paths.js';
import { AuditLog, type AuditSource } from '../audit/index.js';
import { handleEvents, parseEventFilter, recentEvents } from './events.js';

const NOW = Date.parse('2026-08-01T12:00:00.000Z');

/** A real audit directory: allowed reads of two grants and a denial, at known times. */
async function auditDir(): Promise<AuditSource> {
  const dir = tempDir();
  let clock = NOW - 3 * 3_600_000;
  const audit = AuditLog.open({ config: auditConfig(dir), log: quietLog, now: () => clock });
  const call = async (grant: string, tool: string, action: 'allow' | 'deny') => {
    const trail = audit.call({ grant, server: 'mlflow', tool, args: { n: 1 } });
    void trail.emit('call.received');
    await trail.emit('policy.decided', {
      rule: `/tools/${tool}`,
      action,
      ...(action === 'deny' ? { reason: 'no <deletes>' } : {}),
    });
    clock += 60_000;
  };
  for (let i = 0; i < 5; i++) await call('ci-agent', 'get_run', 'allow');
  await call('ci-agent', 'delete_run', 'deny');
  clock = NOW - 10 * 60_000;
  await call('notebook', 'get_run', 'allow');
  await call('ci-agent', 'delete_run', 'deny');
  await audit.close();
  return { kind: 'file', chains: { dir } };
}

describe('the events page', () => {
  it('parses the filter like `audit query`, reporting what it cannot read', () => {
    const ok = parseEventFilter(
      new URLSearchParams('grant=ci-agent&tool=get_run&decision=deny&since=1h&until=2026-08-01T11:59:00Z'),
      NOW,
    );
    expect(ok.errors).toEqual([]);
    expect(ok.query).toEqual({ grant: 'ci-agent', tool: 'get_run', decision: 'deny', sinceMs: NOW - 3_600_000 });
    expect(ok.untilMs).toBe(Date.parse('2026-08-01T11:59:00Z'));
    expect(parseEventFilter(new URLSearchParams(''), NOW).query).toEqual({ sinceMs: NOW - 24 * 3_600_000 });
    expect(parseEventFilter(new URLSearchParams('since='), NOW).query).toEqual({});
    const bad = parseEventFilter(new URLSearchParams('decision=maybe&since=yesterday'), NOW);
    expect(bad.errors.map((e) => e.field)).toEqual(['decision', 'since']);
    expect(bad.query).toEqual({});
  });

  it('returns the matching events newest first, bounded, within since/until', async () => {
    const source = await auditDir();
    const all = await recentEvents(source, parseEventFilter(new URLSearchParams('since='), NOW));
    expect(all.events).toHaveLength(16);
    expect(all.events.map((e) => e.id)).toEqual([...all.events.map((e) => e.id)].sort().reverse());
    const denials = await recentEvents(source, parseEventFilter(new URLSearchParams('since=&decision=deny'), NOW));
    expect(denials.events.map((e) => [e.tool, e.time])).toEqual([
      ['delete_run', '2026-08-01T11:51:00.000Z'],
      ['delete_run', '2026-08-01T09:05:00.000Z'],
    ]);
    const lastHour = await recentEvents(source, parseEventFilter(new URLSearchParams('since=1h&grant=ci-agent'), NOW));
    expect(lastHour.events.map((e) => e.type)).toEqual(['policy.decided', 'call.received']);
    const older = await recentEvents(
      source,
      parseEventFilter(new URLSearchParams('since=&until=2h&tool=get_run'), NOW),
    );
    expect(older.events).toHaveLength(10);
    const bounded = await recentEvents(source, parseEventFilter(new URLSearchParams('since='), NOW), 3);
    expect(bounded.truncated).toBe(true);
    expect(bounded.events.map((e) => e.id)).toEqual(all.events.slice(0, 3).map((e) => e.id));
  });

  it('renders a labelled filter form and a table whose rows link to each call', async () => {
    const source = await auditDir();
    const { status, html } = await handleEvents(
      source,
      new URLSearchParams('decision=deny&since='),
      { user: 'alice', csrf: 't' },
      NOW,
    );
    expect(status).toBe(200);
    const page = html.text;
    for (const name of ['grant', 'tool', 'decision', 'since', 'until'])
      expect(page).toMatch(
        new RegExp(`<label for="f-${name}">[^<]+</label>\\s*<input\\s+id="f-${name}"\\s+name="${name}"`),
      );
    const links = [...page.matchAll(/href="\/console\/calls\/(call_[0-9A-Z]+)"/g)].map((m) => m[1]);
    expect(links).toHaveLength(2);
    expect(page).toContain('deny /tools/delete_run: no &lt;deletes&gt;');
    expect(page).toContain('aria-current="page"');
    const bad = await handleEvents(source, new URLSearchParams('decision=maybe'), { user: 'alice' }, NOW);
    expect(bad.status).toBe(400);
    expect(bad.html.text).toContain('role="alert"');
    expect(bad.html.text).toContain('unknown decision &quot;maybe&quot;');
  });
});
