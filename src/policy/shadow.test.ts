import { describe, expect, it } from 'vitest';
import { classify, evaluate } from './evaluate.js';
import { parsePolicy } from './load.js';
import { shadowOnlyLimits, shadowVerdict } from './shadow.js';

const call = (tool: string, args: Record<string, unknown> = {}, server = 'mlflow') => ({ server, tool, args });
const approval = { approvers: ['U0APPROVER'] };

describe('shadow mode', () => {
  it('leaves a shadow rule out of the decision and keeps it in the shadow view', () => {
    const p = parsePolicy(
      {
        version: '1',
        default: 'deny',
        tools: { 'get_*': {}, get_run: { mode: 'shadow', action: 'deny', reason: 'too chatty' } },
      },
      'shadow.json',
    );
    const enforced = evaluate(p, call('get_run'));
    expect(enforced).toMatchObject({ action: 'allow', rule: '/tools/get_*' });
    const full = evaluate(p.shadow!, call('get_run'));
    expect(full).toMatchObject({ action: 'deny', rule: '/tools/get_run', reason: 'too chatty' });
    expect(shadowVerdict(enforced, full)).toEqual({ would: 'deny', rule: '/tools/get_run', reason: 'too chatty' });
    // The file as written stays the document of both views.
    expect(p.document.tools?.['get_run']).toMatchObject({ mode: 'shadow' });
    expect(classify(p, 'mlflow', 'get_run').action).toBe('allow');
  });

  it('treats a shadow server section as absent, and the top level decides', () => {
    const p = parsePolicy(
      {
        version: '1',
        default: 'allow',
        servers: {
          mlflow: { mode: 'shadow', tools: { copy_model_version: { action: 'require_approval', approval } } },
        },
      },
      'shadow.json',
    );
    const enforced = evaluate(p, call('copy_model_version'));
    expect(enforced).toMatchObject({ action: 'allow', rule: '/default' });
    const verdict = shadowVerdict(enforced, evaluate(p.shadow!, call('copy_model_version')));
    expect(verdict).toEqual({ would: 'require_approval', rule: '/servers/mlflow/tools/copy_model_version' });
  });

  it('enforces nothing for a whole policy in shadow mode: every call is allowed, without limits', () => {
    const p = parsePolicy(
      {
        version: '1',
        mode: 'shadow',
        default: 'deny',
        all_tools: { limits: [{ counter: 'all', window: 'minute', max: 1 }] },
        tools: { 'get_*': {} },
      },
      'shadow.json',
    );
    expect(evaluate(p, call('delete_run'))).toEqual({ action: 'allow', rule: '/default', limits: [] });
    const full = evaluate(p.shadow!, call('get_run'));
    expect(shadowOnlyLimits(evaluate(p, call('get_run')), full).map((l) => l.counter)).toEqual(['all']);
    expect(evaluate(p.shadow!, call('delete_run'))).toMatchObject({ action: 'deny', rule: '/default' });
  });

  it('counts only the limits the enforced decision does not have', () => {
    const p = parsePolicy(
      {
        version: '1',
        default: 'deny',
        all_tools: { limits: [{ counter: 'all', window: 'minute', max: 100 }] },
        tools: {
          'set_*': { rate_limit: { max: 30, window: 'minute' } },
          set_run_tag: { mode: 'shadow', rate_limit: { max: 5, window: 'minute' } },
        },
      },
      'shadow.json',
    );
    const enforced = evaluate(p, call('set_run_tag'));
    const full = evaluate(p.shadow!, call('set_run_tag'));
    expect(shadowVerdict(enforced, full)).toBeUndefined();
    expect(shadowOnlyLimits(enforced, full).map((l) => `${l.counter} ${l.max}`)).toEqual(['set_run_tag 5']);
  });

  it('rejects a mode that is neither enforce nor shadow', () => {
    expect(() => parsePolicy({ version: '1', default: 'deny', tools: { x: { mode: 'dry-run' } } }, 'bad.json')).toThrow(
      'bad.json: /tools/x/mode: expected "enforce" or "shadow", got "dry-run"',
    );
  });
});
