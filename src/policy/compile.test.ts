import { describe, expect, it } from 'vitest';
import { compilePolicy, durationMs } from './compile.js';
import { PolicySchema } from './schema.js';

const compile = (body: object) =>
  compilePolicy(PolicySchema.parse({ version: '1', default: 'deny', ...body }), 'c.json');

describe('compilePolicy', () => {
  it('gives every rule its JSON pointer, escaping "/" and "~"', () => {
    const p = compile({
      tools: { copy_model_version: {}, 'a/b': {}, 'x~*': {} },
      servers: { mlflow: { tools: { 'get_*': {} } } },
    });
    expect(p.root.exact.get('copy_model_version')?.id).toBe('/tools/copy_model_version');
    expect(p.root.exact.get('a/b')?.id).toBe('/tools/a~1b');
    expect(p.root.globs[0]?.id).toBe('/tools/x~0*');
    expect(p.servers.get('mlflow')?.globs[0]?.id).toBe('/servers/mlflow/tools/get_*');
  });

  it('gives conditions, limits and approvals pointers below their rule', () => {
    const rule = compile({
      tools: {
        t: {
          action: 'require_approval',
          limits: [{ counter: 'c', window: 'minute', max: 1 }],
          require: [{ path: 'args.a', op: 'exists' }],
          deny_if: [
            { path: 'args.b', op: 'exists' },
            { path: 'args.c', op: 'exists' },
          ],
          approval: { approvers: ['U0A'] },
        },
      },
    }).root.exact.get('t')!;
    expect([rule.limits[0]?.rule, rule.require[0]?.id, rule.denyIf[1]?.id, rule.approval?.rule]).toEqual([
      '/tools/t/limits/0',
      '/tools/t/require/0',
      '/tools/t/deny_if/1',
      '/tools/t/approval',
    ]);
  });

  it('orders globs longest first, keeping file order among equals, and keeps exact names apart', () => {
    const p = compile({ tools: { 'a*': {}, 'get_*': {}, '*': {}, 'set_*': {}, get_run: {} } });
    expect(p.root.globs.map((r) => r.key)).toEqual(['get_*', 'set_*', 'a*', '*']);
    expect([...p.root.exact.keys()]).toEqual(['get_run']);
  });

  it('normalizes windows to milliseconds and keeps the written form for messages', () => {
    const p = compile({
      all_tools: {
        limits: [
          { counter: 'a', window: 'second', max: 1 },
          { counter: 'b', window: 'day', max: 1 },
          { counter: 'c', window: '90s', max: 1 },
          { counter: 'd', window: 60, max: 1 },
          { counter: 'e', window: '1.5h', max: 1, scope: 'global' },
        ],
      },
    });
    expect(p.root.limits.map((l) => [l.window, l.windowMs, l.scope])).toEqual([
      ['second', 1_000, 'grant'],
      ['day', 86_400_000, 'grant'],
      ['90s', 90_000, 'grant'],
      ['60s', 60_000, 'grant'],
      ['1.5h', 5_400_000, 'global'],
    ]);
  });

  it('expands rate_limit into one per-grant limit named after the tool key (server sections prefix the server)', () => {
    const p = compile({
      tools: { 'set_*': { rate_limit: { max: 10, window: 60 } } },
      servers: { mlflow: { tools: { health: { rate_limit: { max: 2, window: 'minute' } } } } },
    });
    expect(p.root.globs[0]?.limits).toEqual([
      { counter: 'set_*', window: '60s', windowMs: 60_000, max: 10, scope: 'grant', rule: '/tools/set_*/rate_limit' },
    ]);
    expect(p.servers.get('mlflow')?.exact.get('health')?.limits[0]).toMatchObject({
      counter: 'mlflow:health',
      rule: '/servers/mlflow/tools/health/rate_limit',
    });
  });

  it('applies approval defaults: 15 minutes, one approval, no self-approval', () => {
    const p = compile({
      tools: { t: { action: 'require_approval', approval: { approvers: ['W0A'], channel: '#ml-approvals' } } },
    });
    expect(p.root.exact.get('t')?.approval).toEqual({
      approvers: ['W0A'],
      channel: '#ml-approvals',
      timeout: '15m',
      timeoutMs: 900_000,
      minApprovals: 1,
      allowSelfApproval: false,
      rule: '/tools/t/approval',
    });
  });

  it('produces an immutable policy', () => {
    const p = compile({ hide: ['x'], all_tools: { limits: [{ counter: 'a', window: 1, max: 1 }] }, tools: { t: {} } });
    expect(
      Object.isFrozen(p) &&
        Object.isFrozen(p.root) &&
        Object.isFrozen(p.root.limits[0]) &&
        Object.isFrozen(p.root.exact.get('t')),
    ).toBe(true);
    expect(Object.isFrozen(p.document.hide)).toBe(true);
    expect(() => (p.root.limits as unknown[]).push(1)).toThrow();
  });
});

describe('durationMs', () => {
  it('reads named windows, unit durations and seconds', () => {
    expect([
      durationMs('minute').ms,
      durationMs('500ms').ms,
      durationMs('2h').ms,
      durationMs('1d').ms,
      durationMs(0.5).ms,
    ]).toEqual([60_000, 500, 7_200_000, 86_400_000, 500]);
  });
});
