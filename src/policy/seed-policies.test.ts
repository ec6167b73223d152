import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classify, evaluate } from './evaluate.js';
import { loadPolicyFile } from './load.js';

const file = (path: string) => new URL(`../../${path}`, import.meta.url).pathname;
/** The MLflow MCP Server's 40 tools with their annotations, as the stand-in serves them. */
const tools = (
  JSON.parse(readFileSync(file('standin/src/mlflow-mcp.tools.json'), 'utf8')) as {
    tools: { name: string; annotations: { readOnlyHint?: boolean } }[];
  }
).tools;
const readOnly = tools.filter((t) => t.annotations.readOnlyHint).map((t) => t.name);
const writes = tools.filter((t) => !t.annotations.readOnlyHint).map((t) => t.name);

describe('policies/mlflow.json', () => {
  const policy = loadPolicyFile(file('policies/mlflow.json'));
  const view = (tool: string) => classify(policy, 'mlflow', tool);

  it('covers the 40 tools: 27 read-only, 13 writes', () => {
    expect([tools.length, readOnly.length, writes.length]).toEqual([40, 27, 13]);
  });

  it('allows all 27 read-only tools, unconditionally', () => {
    for (const tool of readOnly)
      expect(view(tool), tool).toMatchObject({ action: 'allow', conditional: false, hidden: false });
  });

  it('holds copy_model_version for approval under the 30/minute grant limit', () => {
    expect(view('copy_model_version')).toMatchObject({
      action: 'require_approval',
      rule: '/tools/copy_model_version',
      approval: { timeoutMs: 900_000, minApprovals: 1, allowSelfApproval: false },
    });
    expect(view('copy_model_version').limits).toContainEqual({
      counter: 'copy_model_version_rate',
      window: 'minute',
      windowMs: 60_000,
      max: 30,
      scope: 'grant',
      rule: '/tools/copy_model_version/limits/0',
    });
  });

  it('denies every delete_* tool with the destructive reason', () => {
    const deletes = writes.filter((t) => t.startsWith('delete_'));
    expect(deletes).toHaveLength(5);
    for (const tool of deletes)
      expect(view(tool), tool).toMatchObject({
        action: 'deny',
        rule: '/tools/delete_*',
        reason: 'Destructive: ask a human to do it in the MLflow UI',
      });
  });

  it('decides every other write explicitly, and denies tools it does not know', () => {
    for (const tool of writes) expect(view(tool).rule, tool).not.toBe('/default');
    expect(view('set_model_alias').action).toBe('require_approval');
    expect(view('transition_model_version_stage').action).toBe('require_approval');
    expect(view('set_run_tag')).toMatchObject({ action: 'allow', rule: '/tools/set_*_tag' });
    expect(view('some_new_tool')).toMatchObject({ action: 'deny', rule: '/default' });
  });

  it('keeps production models out of register_model and legacy targets out of copy_model_version', () => {
    expect(
      evaluate(policy, {
        server: 'mlflow',
        tool: 'register_model',
        args: { model_name: 'prod-churn', model_uri: 'runs:/r/model' },
      }),
    ).toMatchObject({ action: 'deny', rule: '/tools/register_model/deny_if/0' });
    expect(
      evaluate(policy, { server: 'mlflow', tool: 'register_model', args: { model_name: 'churn-dev' } }).action,
    ).toBe('allow');
    expect(
      evaluate(policy, { server: 'mlflow', tool: 'copy_model_version', args: { dst_model_name: 'prod-churn-legacy' } })
        .action,
    ).toBe('deny');
  });
});

describe('policies/ci-agent.json', () => {
  const policy = loadPolicyFile(file('policies/ci-agent.json'));

  it('allows the read-only tools and nothing else; deletes are hidden', () => {
    for (const tool of readOnly) expect(classify(policy, 'mlflow', tool).action, tool).toBe('allow');
    for (const tool of writes) expect(classify(policy, 'mlflow', tool).action, tool).toBe('deny');
    expect(classify(policy, 'mlflow', 'delete_run').hidden).toBe(true);
  });
});
