/**
 * Every one of the 40 tools, called once with valid arguments through a real client over stdio,
 * with its result shape checked (content blocks, structuredContent, keys). Cases run in order:
 * the destructive ones come last and touch only what the earlier ones no longer need.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import payload from '../src/mlflow-mcp.tools.json' with { type: 'json' };
import { callTool, dictOf, listOf, startStdioStandin, type StdioStandin } from './helpers.js';
import { READ_CASES } from './read-cases.js';
import { CHURN, FRAUD, RUN_BASELINE, RUN_CHURN_FAILED, RUN_TUNED } from './seed-ids.js';
import { WRITE_CASES } from './write-cases.js';

const CASES = [...READ_CASES, ...WRITE_CASES];

describe('mlflow-standin: every tool over stdio', () => {
  let standin: StdioStandin;

  beforeAll(async () => {
    standin = await startStdioStandin();
  });
  afterAll(async () => {
    await standin.close();
  });

  it('the cases below cover all 40 tools of the JSON payload, each once', () => {
    const called = CASES.map((c) => c.tool);
    expect(new Set(called).size).toBe(called.length);
    expect([...called].sort()).toEqual(payload.tools.map((t) => t.name).sort());
  });

  it.each(CASES.map((c) => [c.tool, c] as const))('%s', async (_tool, c) => {
    const result = await callTool(standin.client, c.tool, c.args);
    c.check(result);
  });

  it('after the deletes, the deleted run and experiment are gone from searches', async () => {
    expect(listOf(await callTool(standin.client, 'get_experiments')).map((e) => (e as { id: string }).id)).toEqual([
      '1',
      '0',
    ]);
    expect(listOf(await callTool(standin.client, 'get_experiment_metrics', { experiment_id: CHURN }))).toEqual([]);
    // A soft-deleted experiment is still found by name, in the deleted stage.
    expect(
      dictOf(await callTool(standin.client, 'get_experiment_by_name', { name: 'churn-model' }))['lifecycle_stage'],
    ).toBe('deleted');
    // get_run still reads a deleted run.
    expect(dictOf(await callTool(standin.client, 'get_run', { run_id: RUN_CHURN_FAILED }))['lifecycle_stage']).toBe(
      'deleted',
    );
  });

  it('an empty list result has no content blocks but structured {result: []}', async () => {
    const result = await callTool(standin.client, 'get_run_metric', {
      run_id: RUN_BASELINE,
      metric_name: 'no-such-metric',
    });
    expect(result).toEqual({ content: [], structuredContent: { result: [] }, isError: false });
  });

  it('get_parent_run without a parent gives content [] and {result: null}', async () => {
    const result = await callTool(standin.client, 'get_parent_run', { run_id: RUN_BASELINE });
    expect(result).toEqual({ content: [], structuredContent: { result: null }, isError: false });
  });

  it('coerces arguments as pydantic does: "5" for int, "true" for bool, JSON strings for lists and dicts', async () => {
    const runs = listOf(
      await callTool(standin.client, 'get_runs', { experiment_id: FRAUD, limit: '1', order_by: '["metrics.auc ASC"]' }),
    );
    expect((runs[0] as { run_id: string }).run_id).toBe(RUN_BASELINE);
    const best = dictOf(
      await callTool(standin.client, 'get_best_run', { experiment_id: FRAUD, metric: 'test/f1', ascending: 'true' }),
    );
    expect(best['run_id']).toBe(RUN_BASELINE);
    const tagged = listOf(
      await callTool(standin.client, 'search_runs_by_tags', { experiment_id: FRAUD, tags: '{"stage": "tuned"}' }),
    );
    expect((tagged[0] as { run_id: string }).run_id).toBe(RUN_TUNED);
  });
});
