import { describe, expect, it } from 'vitest';
import { classify, evaluate, type ToolCall } from './evaluate.js';
import { parsePolicy } from './load.js';

const policy = (body: object, base: object = { version: '1', default: 'deny' }) =>
  parsePolicy({ ...base, ...body }, 'test.json');
const call = (tool: string, args: unknown = {}, server = 'mlflow'): ToolCall => ({ server, tool, args });
const approval = { approvers: ['U0APPROVER'] };

describe('evaluate', () => {
  describe('precedence', () => {
    it('allows a tool listed with {} under default deny (PolicyLayer meaning)', () => {
      const p = policy({ tools: { get_run: {} } });
      expect(evaluate(p, call('get_run'))).toEqual({ action: 'allow', rule: '/tools/get_run', limits: [] });
    });

    it('denies an unlisted tool under default deny, naming /default', () => {
      const d = evaluate(policy({ tools: { get_run: {} } }), call('delete_run'));
      expect(d).toMatchObject({ action: 'deny', rule: '/default', limits: [] });
      expect(d.reason).toMatch(/default deny/);
    });

    it('allows an unlisted tool under default allow, with only the all_tools limits', () => {
      const p = policy({ default: 'allow', all_tools: { limits: [{ counter: 'all', window: 'minute', max: 5 }] } });
      const d = evaluate(p, call('anything'));
      expect(d).toMatchObject({ action: 'allow', rule: '/default' });
      expect(d.limits.map((l) => l.counter)).toEqual(['all']);
    });

    it('lets an exact name beat a glob, whatever the file order', () => {
      const p = policy({ tools: { 'get_*': { action: 'deny' }, get_run: {} } });
      expect(evaluate(p, call('get_run')).rule).toBe('/tools/get_run');
      expect(evaluate(p, call('get_runs')).rule).toBe('/tools/get_*');
    });

    it('lets a longer glob beat a shorter one, whatever the file order', () => {
      const p = policy({ tools: { '*': { action: 'deny' }, 'get_*': { action: 'deny' }, 'get_run*': {} } });
      expect(evaluate(p, call('get_run_metrics'))).toMatchObject({ action: 'allow', rule: '/tools/get_run*' });
      expect(evaluate(p, call('get_model'))).toMatchObject({ action: 'deny', rule: '/tools/get_*' });
      expect(evaluate(p, call('health'))).toMatchObject({ action: 'deny', rule: '/tools/*' });
    });

    it('breaks a tie between globs of equal length by file order', () => {
      const first = policy({ tools: { 'get_*': {}, '*_run': { action: 'deny' } } });
      const second = policy({ tools: { '*_run': { action: 'deny' }, 'get_*': {} } });
      expect(evaluate(first, call('get_run')).rule).toBe('/tools/get_*');
      expect(evaluate(second, call('get_run')).rule).toBe('/tools/*_run');
    });

    it('matches globs against names with dots and slashes too', () => {
      const p = policy({ tools: { 'files/*': {} } });
      expect(evaluate(p, call('files/a/b.txt')).action).toBe('allow');
      expect(evaluate(policy({ tools: { '*': {} } }), call('.hidden/x')).action).toBe('allow');
    });

    it('treats a leading "!" as a literal character, not a negation', () => {
      const p = policy({ tools: { '!get_*': {} } });
      expect(evaluate(p, call('delete_run')).action).toBe('deny');
    });

    it('consults the server section before the top-level tools, even against an exact top-level name', () => {
      const p = policy({
        tools: { get_run: {} },
        servers: { mlflow: { tools: { 'get_*': { action: 'deny', reason: 'not here' } } } },
      });
      expect(evaluate(p, call('get_run'))).toMatchObject({
        action: 'deny',
        rule: '/servers/mlflow/tools/get_*',
        reason: 'not here',
      });
      expect(evaluate(p, call('get_run', {}, 'other'))).toMatchObject({ action: 'allow', rule: '/tools/get_run' });
    });

    it('falls back to the top-level tools when the server section has no match', () => {
      const p = policy({ tools: { health: {} }, servers: { mlflow: { tools: { 'get_*': {} } } } });
      expect(evaluate(p, call('health')).rule).toBe('/tools/health');
    });

    it("uses the server section's default over the top-level default", () => {
      const p = policy({ default: 'allow', servers: { mlflow: { default: 'deny' } } });
      expect(evaluate(p, call('x'))).toMatchObject({ action: 'deny', rule: '/servers/mlflow/default' });
      expect(evaluate(p, call('x', {}, 'other'))).toMatchObject({ action: 'allow', rule: '/default' });
      expect(evaluate(policy({ servers: { mlflow: {} } }), call('x'))).toMatchObject({
        action: 'deny',
        rule: '/default',
      });
    });

    it('denies a hidden tool even when a rule allows it (top-level hide)', () => {
      const p = policy({ default: 'allow', hide: ['delete_*'], tools: { delete_run: {} } });
      expect(evaluate(p, call('delete_run'))).toMatchObject({ action: 'deny', rule: '/hide', limits: [] });
    });

    it('denies a tool hidden by its server section, only on that server', () => {
      const p = policy({ default: 'allow', servers: { mlflow: { hide: ['health'] } } });
      expect(evaluate(p, call('health'))).toMatchObject({ action: 'deny', rule: '/servers/mlflow/hide' });
      expect(evaluate(p, call('health', {}, 'other')).action).toBe('allow');
    });

    it('hides everything with "*"', () => {
      expect(evaluate(policy({ default: 'allow', hide: ['*'] }), call('get_run')).rule).toBe('/hide');
    });

    it('denies with the reason of a deny rule and consumes no limits', () => {
      const p = policy({
        all_tools: { limits: [{ counter: 'all', window: 60, max: 5 }] },
        tools: { 'delete_*': { action: 'deny', reason: 'Destructive' } },
      });
      expect(evaluate(p, call('delete_run'))).toEqual({
        action: 'deny',
        rule: '/tools/delete_*',
        reason: 'Destructive',
        limits: [],
      });
    });

    it('returns require_approval with the normalized approval', () => {
      const p = policy({
        tools: {
          copy: {
            action: 'require_approval',
            reason: 'Promotes',
            approval: { approvers: ['U0A', 'S0GROUP'], timeout: '2h', min_approvals: 2 },
          },
        },
      });
      expect(evaluate(p, call('copy'))).toEqual({
        action: 'require_approval',
        rule: '/tools/copy',
        reason: 'Promotes',
        limits: [],
        approval: {
          approvers: ['U0A', 'S0GROUP'],
          timeout: '2h',
          timeoutMs: 7_200_000,
          minApprovals: 2,
          allowSelfApproval: false,
          rule: '/tools/copy/approval',
        },
      });
    });
  });

  describe('conditions', () => {
    const guarded = policy({
      tools: {
        refund: {
          require: [{ path: 'args.reason', op: 'exists' }],
          deny_if: [{ path: 'args.amount', op: 'gt', value: 10_000 }],
        },
        copy: {
          action: 'require_approval',
          approval,
          deny_if: [{ path: 'args.dst_model_name', op: 'regex', value: '^prod-.*-legacy$' }],
        },
      },
    });

    it('denies when a require condition fails, naming it', () => {
      expect(evaluate(guarded, call('refund', { amount: 5 }))).toEqual({
        action: 'deny',
        rule: '/tools/refund/require/0',
        reason: 'requires args.reason to exist',
        limits: [],
      });
    });

    it('denies when a deny_if condition holds, naming it', () => {
      expect(evaluate(guarded, call('refund', { reason: 'dup', amount: 20_000 }))).toMatchObject({
        action: 'deny',
        rule: '/tools/refund/deny_if/0',
        reason: 'args.amount is greater than 10000',
      });
    });

    it('checks require before deny_if', () => {
      expect(evaluate(guarded, call('refund', { amount: 20_000 })).rule).toBe('/tools/refund/require/0');
    });

    it('allows when every require holds and no deny_if does', () => {
      expect(evaluate(guarded, call('refund', { reason: 'dup', amount: 10 })).action).toBe('allow');
    });

    it('applies conditions to require_approval rules too', () => {
      expect(evaluate(guarded, call('copy', { dst_model_name: 'prod-churn-legacy' }))).toMatchObject({
        action: 'deny',
        rule: '/tools/copy/deny_if/0',
        reason: 'args.dst_model_name matches ^prod-.*-legacy$',
      });
      expect(evaluate(guarded, call('copy', { dst_model_name: 'prod-churn' })).action).toBe('require_approval');
    });

    it.each([null, undefined, 'text', 42, [1, 2], { reason: { nested: true } }])(
      'never throws for arguments %j',
      (args) => {
        expect(() => evaluate(guarded, call('refund', args))).not.toThrow();
        expect(evaluate(guarded, call('refund', args)).action).toBe(
          args && typeof args === 'object' && 'reason' in args ? 'allow' : 'deny',
        );
      },
    );

    it('fails closed with rule "(error)" when reading the arguments throws', () => {
      const hostile = new Proxy(
        {},
        {
          has: () => {
            throw new Error('boom');
          },
          get: () => {
            throw new Error('boom');
          },
          getOwnPropertyDescriptor: () => {
            throw new Error('boom');
          },
        },
      );
      expect(evaluate(guarded, call('refund', hostile))).toMatchObject({ action: 'deny', rule: '(error)', limits: [] });
    });
  });

  describe('hostile argument shapes and sizes (fail closed)', () => {
    const p = policy({
      tools: {
        copy: {
          action: 'require_approval',
          approval,
          deny_if: [{ path: 'args.dst_model_name', op: 'regex', value: '^prod-' }],
        },
        tag: { deny_if: [{ path: 'args.tags.env', op: 'eq', value: 'prod' }] },
        tag_each: { deny_if: [{ path: 'args.tags[*].env', op: 'eq', value: 'prod' }] },
        tag_dev: { require: [{ path: 'args.tags.env', op: 'eq', value: 'dev' }] },
        tag_dev_each: { require: [{ path: 'args.tags[*].env', op: 'eq', value: 'dev' }] },
        get_registered_model: { deny_if: [{ path: 'args.name', op: 'regex', value: '^(a+)+$' }] },
      },
    });
    const tags = [{ env: 'dev' }, { env: 'prod' }];

    it('denies a deny_if regex on an array where a string is expected, naming the condition', () => {
      expect(evaluate(p, call('copy', { dst_model_name: ['prod-x'] }))).toEqual({
        action: 'deny',
        rule: '/tools/copy/deny_if/0',
        reason: 'args.dst_model_name must be a string to be checked against ^prod-, got an array',
        limits: [],
      });
      expect(evaluate(p, call('copy', { dst_model_name: 'dev-x' })).action).toBe('require_approval');
    });

    it('denies when a path meets a list where it needs a key, in a deny_if and in a require', () => {
      const why =
        'args.tags is an array, so args.tags.env cannot be looked up in it (write args.tags[*].env to check each element)';
      expect(evaluate(p, call('tag', { tags }))).toMatchObject({
        action: 'deny',
        rule: '/tools/tag/deny_if/0',
        reason: why,
      });
      expect(evaluate(p, call('tag_dev', { tags: [{ env: 'dev' }] }))).toMatchObject({
        action: 'deny',
        rule: '/tools/tag_dev/require/0',
        reason: why,
      });
      expect(evaluate(p, call('tag', { tags: { env: 'dev' } })).action).toBe('allow');
    });

    it('checks every element with [*]: any for deny_if, every for require', () => {
      expect(evaluate(p, call('tag_each', { tags }))).toMatchObject({
        action: 'deny',
        rule: '/tools/tag_each/deny_if/0',
        reason: 'args.tags[*].env equals "prod" (at args.tags.1.env)',
      });
      expect(evaluate(p, call('tag_each', { tags: [{ env: 'dev' }, { env: 'qa' }] })).action).toBe('allow');
      expect(evaluate(p, call('tag_dev_each', { tags }))).toMatchObject({
        action: 'deny',
        rule: '/tools/tag_dev_each/require/0',
        reason: 'requires args.tags[*].env to equal "dev" (at args.tags.1.env)',
      });
      expect(evaluate(p, call('tag_dev_each', { tags: [{ env: 'dev' }] })).action).toBe('allow');
    });

    it('decides a catastrophic-backtracking pattern at once', () => {
      const started = performance.now();
      expect(evaluate(p, call('get_registered_model', { name: `${'a'.repeat(49)}!` })).action).toBe('allow');
      expect(evaluate(p, call('get_registered_model', { name: 'aaaa' }))).toMatchObject({
        action: 'deny',
        rule: '/tools/get_registered_model/deny_if/0',
        reason: 'args.name matches ^(a+)+$',
      });
      expect(performance.now() - started).toBeLessThan(1_000);
    });

    it('denies a value too long to check, naming the condition and the length', () => {
      const d = evaluate(p, call('copy', { dst_model_name: 'd'.repeat(70_000) }));
      expect(d).toMatchObject({ action: 'deny', rule: '/tools/copy/deny_if/0' });
      expect(d.reason).toBe(
        'args.dst_model_name is too long to be checked against ^prod-: 70000 characters, at most 65536 are checked',
      );
    });
  });

  describe('limits', () => {
    const p = policy({
      all_tools: { limits: [{ counter: 'all', window: 'minute', max: 600 }] },
      tools: {
        copy: {
          limits: [{ counter: 'copy_rate', window: '90s', max: 30, scope: 'global' }],
          rate_limit: { max: 10, window: 60 },
        },
      },
      servers: {
        mlflow: { all_tools: { limits: [{ counter: 'mlflow_all', window: 'hour', max: 1000, scope: 'session' }] } },
      },
    });

    it('combines top-level all_tools, server all_tools and rule limits, in that order', () => {
      expect(evaluate(p, call('copy')).limits).toEqual([
        { counter: 'all', window: 'minute', windowMs: 60_000, max: 600, scope: 'grant', rule: '/all_tools/limits/0' },
        {
          counter: 'mlflow_all',
          window: 'hour',
          windowMs: 3_600_000,
          max: 1000,
          scope: 'session',
          rule: '/servers/mlflow/all_tools/limits/0',
        },
        {
          counter: 'copy_rate',
          window: '90s',
          windowMs: 90_000,
          max: 30,
          scope: 'global',
          rule: '/tools/copy/limits/0',
        },
        { counter: 'copy', window: '60s', windowMs: 60_000, max: 10, scope: 'grant', rule: '/tools/copy/rate_limit' },
      ]);
    });

    it("leaves out another server's all_tools limits", () => {
      expect(evaluate(p, call('copy', {}, 'other')).limits.map((l) => l.counter)).toEqual(['all', 'copy_rate', 'copy']);
    });
  });
});

describe('classify', () => {
  const p = policy({
    hide: ['delete_registered_model'],
    tools: {
      'get_*': {},
      'delete_*': { action: 'deny', reason: 'Destructive' },
      copy: { action: 'require_approval', approval, deny_if: [{ path: 'args.x', op: 'exists' }] },
    },
  });

  it('marks hidden tools hidden and denied', () => {
    expect(classify(p, 'mlflow', 'delete_registered_model')).toMatchObject({
      action: 'deny',
      rule: '/hide',
      hidden: true,
      conditional: false,
    });
  });

  it('reports the static action of a rule and whether arguments can still deny', () => {
    expect(classify(p, 'mlflow', 'copy')).toMatchObject({
      action: 'require_approval',
      rule: '/tools/copy',
      conditional: true,
      hidden: false,
    });
    expect(classify(p, 'mlflow', 'get_run')).toMatchObject({ action: 'allow', conditional: false, hidden: false });
    expect(classify(p, 'mlflow', 'delete_run')).toMatchObject({ action: 'deny', reason: 'Destructive', hidden: false });
    expect(classify(p, 'mlflow', 'health')).toMatchObject({ action: 'deny', rule: '/default', hidden: false });
  });

  it('agrees with evaluate on calls that no condition denies', () => {
    for (const tool of ['get_run', 'copy', 'delete_run', 'health', 'delete_registered_model']) {
      const { conditional: _c, hidden: _h, ...view } = classify(p, 'mlflow', tool);
      expect(evaluate(p, call(tool))).toEqual(view);
    }
  });
});
