/**
 * Every one of the 40 tools, called once with valid arguments through a real client over stdio,
 * with its result shape checked (content blocks, structuredContent, keys). Cases run in order:
 * the destructive ones come last and touch only what the earlier ones no longer need.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import payload from '../src/mlflow-mcp.tools.json' with { type: 'json' };
import { callTool, dictOf, listOf, onlyText, startStdioStandin, texts, type StdioStandin } from './helpers.js';

const FRAUD = '1';
const CHURN = '2';
const RUN_BASELINE = '1f32c67417521274adcdd67899f54a0f';
const RUN_TUNED = 'a565db8e8544424dda7c3b9747db08b8';
const RUN_TRIAL = '4f88e807d8feebd8a198df1a15b3e5c3';
const RUN_LGBM = '83e9d8f4ac321369c59ae9d3ca9ab624';
const RUN_CHURN_FAILED = 'c6b9fd3103c3c275904286b683a7a859';
const LOGGED_XGB = 'm-8b7d9cdc9fd9921049fb61248909bcb8';

const RUN_A = ['run_id', 'experiment_id', 'status', 'start_time', 'end_time', 'metrics', 'params', 'tags'];
const RUN_Q = ['run_id', 'experiment_id', 'status', 'metrics', 'params'];
const RUN_T = [...RUN_Q, 'tags'];
const VERSION_FIELDS = [
  'name',
  'version',
  'creation_timestamp',
  'last_updated_timestamp',
  'current_stage',
  'description',
  'run_id',
  'status',
  'tags',
];
const LOGGED_MODEL = [
  'artifact_location',
  'creation_timestamp',
  'experiment_id',
  'last_updated_timestamp',
  'metrics',
  'model_id',
  'model_type',
  'name',
  'params',
  'source_run_id',
  'status',
  'status_message',
  'tags',
];

const keysOf = (value: unknown) => Object.keys(value as object);

interface Case {
  tool: string;
  args: Record<string, unknown>;
  check: (result: CallToolResult) => void;
}

const CASES: Case[] = [
  {
    tool: 'get_experiments',
    args: {},
    check: (r) => {
      // creation_time DESC: the newest experiment first, Default last.
      expect(listOf(r)).toEqual([
        { name: 'churn-model', id: '2' },
        { name: 'fraud-detection', id: '1' },
        { name: 'Default', id: '0' },
      ]);
    },
  },
  {
    tool: 'search_experiments',
    args: { filter_string: "name LIKE 'fraud%'", order_by: ['name ASC'] },
    check: (r) => {
      const items = listOf(r);
      expect(items).toHaveLength(1);
      expect(keysOf(items[0])).toEqual([
        'experiment_id',
        'name',
        'artifact_location',
        'lifecycle_stage',
        'creation_time',
        'last_update_time',
        'tags',
      ]);
    },
  },
  {
    tool: 'get_experiment_by_name',
    args: { name: 'churn-model' },
    check: (r) => {
      const d = dictOf(r);
      expect(keysOf(d)).toEqual(['experiment_id', 'name', 'artifact_location', 'lifecycle_stage', 'tags']);
      expect(d['experiment_id']).toBe(CHURN);
    },
  },
  {
    tool: 'get_experiment_metrics',
    args: { experiment_id: FRAUD },
    check: (r) => {
      // list[str]: raw strings, one block each, sorted.
      expect(listOf(r)).toEqual(['accuracy', 'auc', 'test/f1', 'test/recall', 'train/loss']);
      expect(texts(r)[2]).toBe('test/f1');
    },
  },
  {
    tool: 'get_experiment_params',
    args: { experiment_id: CHURN },
    check: (r) => {
      expect(listOf(r)).toEqual(['C', 'class_weight', 'max_depth', 'model_type', 'n_estimators', 'penalty']);
    },
  },
  {
    tool: 'get_experiment_tags',
    args: { experiment_id: FRAUD },
    check: (r) => {
      expect(listOf(r)).toEqual(
        expect.arrayContaining(['mlflow.parentRunId', 'mlflow.runName', 'mlflow.user', 'team']),
      );
    },
  },
  {
    tool: 'get_runs',
    args: { experiment_id: FRAUD, limit: 2, offset: 1, order_by: ['metrics.`test/f1` DESC'] },
    check: (r) => {
      const items = listOf(r) as Record<string, unknown>[];
      expect(items.map((i) => i['run_id'])).toEqual([RUN_TRIAL, RUN_LGBM]);
      expect(keysOf(items[0])).toEqual(RUN_A);
    },
  },
  {
    tool: 'get_run',
    args: { run_id: RUN_BASELINE },
    check: (r) => {
      const d = dictOf(r);
      expect(keysOf(d)).toEqual([
        ...RUN_A.slice(0, 5),
        'artifact_uri',
        'lifecycle_stage',
        'metrics',
        'params',
        'tags',
        'inputs',
      ]);
      expect(keysOf((d['inputs'] as unknown[])[0])).toEqual(['name', 'digest', 'source_type', 'tags']);
    },
  },
  {
    tool: 'get_parent_run',
    args: { run_id: RUN_TRIAL },
    check: (r) => {
      expect(r.isError).toBe(false);
      const parent = (r.structuredContent as { result: Record<string, unknown> }).result;
      expect(parent['run_id']).toBe(RUN_TUNED);
      expect(keysOf(parent)).toEqual(RUN_A);
      expect(JSON.parse(onlyText(r))).toEqual(parent);
    },
  },
  {
    tool: 'query_runs',
    args: { experiment_id: FRAUD, query: "metrics.accuracy > 0.945 and params.model_type = 'xgboost'", limit: 5 },
    check: (r) => {
      const items = listOf(r) as Record<string, unknown>[];
      expect(items.map((i) => i['run_id'])).toEqual([RUN_TRIAL, RUN_TUNED]); // start_time DESC
      expect(keysOf(items[0])).toEqual(RUN_Q);
    },
  },
  {
    tool: 'get_run_artifacts',
    args: { run_id: RUN_BASELINE, path: 'model' },
    check: (r) => {
      const items = listOf(r) as Record<string, unknown>[];
      expect(items.map((i) => i['path'])).toEqual(['model/MLmodel', 'model/model.pkl', 'model/requirements.txt']);
      expect(keysOf(items[0])).toEqual(['run_id', 'path', 'is_dir', 'file_size']);
    },
  },
  {
    tool: 'get_run_artifact',
    args: { run_id: RUN_BASELINE, artifact_path: 'configs/train.yaml' },
    check: (r) => {
      const d = dictOf(r);
      expect(keysOf(d)).toEqual(['local_path', 'run_id', 'artifact_path', 'size_bytes']);
      const localPath = d['local_path'] as string;
      expect(existsSync(localPath)).toBe(true);
      expect(readFileSync(localPath, 'utf8')).toContain('max_depth: 6');
      expect(d['size_bytes']).toBe(readFileSync(localPath).length);
    },
  },
  {
    tool: 'get_run_metrics',
    args: { run_id: RUN_CHURN_FAILED },
    check: (r) => {
      // A Python float: 0.0, not 0.
      expect(dictOf(r)).toEqual({ accuracy: 0 });
      expect(onlyText(r)).toBe('{\n  "accuracy": 0.0\n}');
    },
  },
  {
    tool: 'get_run_metric',
    args: { run_id: RUN_BASELINE, metric_name: 'train/loss' },
    check: (r) => {
      const items = listOf(r) as Record<string, unknown>[];
      expect(items).toHaveLength(5);
      expect(keysOf(items[0])).toEqual(['step', 'timestamp', 'value']);
      expect(items.map((i) => i['step'])).toEqual([0, 1, 2, 3, 4]);
    },
  },
  {
    tool: 'get_best_run',
    args: { experiment_id: FRAUD, metric: 'test/f1' },
    check: (r) => {
      const d = dictOf(r);
      expect(keysOf(d)).toEqual([...RUN_T, 'best_metric_value']);
      expect(d['run_id']).toBe(RUN_TUNED);
      expect(d['best_metric_value']).toBe(0.857);
    },
  },
  {
    tool: 'compare_runs',
    args: { experiment_id: 'ignored', run_ids: [RUN_BASELINE, RUN_LGBM] },
    check: (r) => {
      const d = dictOf(r);
      expect(keysOf(d)).toEqual(['runs', 'all_metrics', 'all_params']);
      expect(keysOf((d['runs'] as unknown[])[0])).toEqual(['run_id', 'status', 'start_time', 'metrics', 'params']);
      expect(d['all_params']).toEqual([
        'learning_rate',
        'max_depth',
        'model_type',
        'n_estimators',
        'num_leaves',
        'seed',
      ]);
    },
  },
  {
    tool: 'get_registered_models',
    args: {},
    check: (r) => {
      const items = listOf(r) as Record<string, unknown>[];
      expect(items.map((i) => i['name'])).toEqual([
        'churn-classifier',
        'fraud-detector-dev',
        'fraud-detector-prod',
        'legacy-scorer',
      ]);
      expect(keysOf(items[0])).toEqual(['name', 'creation_timestamp', 'last_updated_timestamp', 'description', 'tags']);
    },
  },
  {
    tool: 'get_model_versions',
    args: { model_name: 'fraud-detector-dev' },
    check: (r) => {
      const items = listOf(r) as Record<string, unknown>[];
      // last_updated_timestamp DESC, then version DESC.
      expect(items.map((i) => i['version'])).toEqual(['3', '1', '2']);
      expect(keysOf(items[0])).toEqual(VERSION_FIELDS);
    },
  },
  {
    tool: 'get_model_version',
    args: { model_name: 'fraud-detector-dev', version: '3' },
    check: (r) => {
      const d = dictOf(r);
      expect(keysOf(d)).toEqual([...VERSION_FIELDS, 'source', 'run_metrics', 'run_params']);
      expect(d['run_id']).toBe(RUN_TUNED);
    },
  },
  {
    tool: 'get_registered_model',
    args: { name: 'fraud-detector-prod' },
    check: (r) => {
      const d = dictOf(r);
      expect(keysOf(d)).toEqual([
        'name',
        'creation_timestamp',
        'last_updated_timestamp',
        'description',
        'tags',
        'aliases',
        'latest_versions',
      ]);
      expect(d['aliases']).toEqual({});
      expect(keysOf((d['latest_versions'] as unknown[])[0])).toEqual([
        'version',
        'current_stage',
        'status',
        'run_id',
        'description',
      ]);
    },
  },
  {
    tool: 'get_model_version_by_alias',
    args: { name: 'fraud-detector-dev', alias: 'champion' },
    check: (r) => {
      const d = dictOf(r);
      expect(keysOf(d)).toEqual([
        'name',
        'version',
        'alias',
        'current_stage',
        'status',
        'run_id',
        'creation_timestamp',
        'last_updated_timestamp',
        'description',
        'tags',
        'source',
      ]);
      expect(d['version']).toBe('3');
    },
  },
  {
    tool: 'get_latest_versions',
    args: { name: 'fraud-detector-dev', stages: ['production', 'Staging'] },
    check: (r) => {
      const items = listOf(r) as Record<string, unknown>[];
      expect(items.map((i) => [i['version'], i['current_stage']])).toEqual([
        ['2', 'Staging'],
        ['3', 'Production'],
      ]);
      expect(keysOf(items[0])).toEqual([
        'name',
        'version',
        'current_stage',
        'status',
        'run_id',
        'creation_timestamp',
        'last_updated_timestamp',
        'description',
        'tags',
      ]);
    },
  },
  {
    tool: 'search_runs_by_tags',
    args: { experiment_id: FRAUD, tags: { team: 'risk-ml', 'mlflow.user': 'alice' }, limit: 10 },
    check: (r) => {
      const items = listOf(r) as Record<string, unknown>[];
      expect(items.map((i) => (i['tags'] as Record<string, string>)['mlflow.runName'])).toEqual([
        'lgbm-v2-wip',
        'lgbm-v1',
        'xgb-baseline',
      ]);
      expect(keysOf(items[0])).toEqual(RUN_T);
    },
  },
  {
    tool: 'get_artifact_content',
    args: { run_id: RUN_BASELINE, artifact_path: 'model/requirements.txt' },
    check: (r) => {
      expect(r.isError).toBe(false);
      expect(onlyText(r)).toBe('mlflow==3.4.0\nxgboost==2.1.3\nscikit-learn==1.6.1\n');
      expect(r.structuredContent).toEqual({ result: onlyText(r) });
    },
  },
  {
    tool: 'search_logged_models',
    args: { experiment_ids: [FRAUD, CHURN], filter_string: 'metrics.accuracy > 0.9', max_results: 5 },
    check: (r) => {
      const items = listOf(r) as Record<string, unknown>[];
      expect(items.map((i) => i['model_id'])).toHaveLength(2);
      expect(keysOf(items[0])).toEqual(LOGGED_MODEL);
      expect(keysOf((items[0]?.['metrics'] as unknown[])[0])).toEqual([
        'key',
        'value',
        'timestamp',
        'step',
        'model_id',
        'dataset_name',
        'dataset_digest',
        'run_id',
      ]);
    },
  },
  {
    tool: 'get_logged_model',
    args: { model_id: LOGGED_XGB },
    check: (r) => {
      const d = dictOf(r);
      expect(keysOf(d)).toEqual(LOGGED_MODEL);
      expect(d['status']).toBe('READY');
      expect(d['source_run_id']).toBe(RUN_TUNED);
    },
  },
  {
    tool: 'register_model',
    args: { model_name: 'tools-test', model_uri: `models:/${LOGGED_XGB}`, tags: { selection_metric: 'test/f1' } },
    check: (r) => {
      expect(dictOf(r)).toEqual({
        name: 'tools-test',
        version: '1',
        status: 'READY',
        source: `models:/${LOGGED_XGB}`,
        run_id: RUN_TUNED,
      });
    },
  },
  {
    tool: 'set_registered_model_tag',
    args: { name: 'tools-test', key: 'team', value: 'risk-ml' },
    check: (r) => {
      expect(dictOf(r)).toEqual({ success: true, name: 'tools-test', key: 'team', value: 'risk-ml' });
    },
  },
  {
    tool: 'set_model_alias',
    args: { name: 'tools-test', alias: 'challenger', version: '1' },
    check: (r) => {
      expect(dictOf(r)).toEqual({ success: true, name: 'tools-test', alias: 'challenger', version: '1' });
    },
  },
  {
    tool: 'set_run_tag',
    args: { run_id: RUN_LGBM, key: 'reviewed_by', value: 'dana' },
    check: (r) => {
      expect(dictOf(r)).toEqual({ success: true, run_id: RUN_LGBM, key: 'reviewed_by', value: 'dana' });
    },
  },
  {
    tool: 'set_experiment_tag',
    args: { experiment_id: CHURN, key: 'status', value: 'archived' },
    check: (r) => {
      expect(dictOf(r)).toEqual({ success: true, experiment_id: CHURN, key: 'status', value: 'archived' });
    },
  },
  {
    tool: 'update_model_version',
    args: { name: 'tools-test', version: '1', description: 'Tuned XGBoost' },
    check: (r) => {
      expect(dictOf(r)).toEqual({
        name: 'tools-test',
        version: '1',
        description: 'Tuned XGBoost',
        current_stage: 'None',
        status: 'READY',
      });
    },
  },
  {
    tool: 'transition_model_version_stage',
    args: { name: 'tools-test', version: '1', stage: 'staging' },
    check: (r) => {
      expect(dictOf(r)).toEqual({ name: 'tools-test', version: '1', current_stage: 'Staging', status: 'READY' });
    },
  },
  {
    tool: 'copy_model_version',
    args: { src_model_name: 'tools-test', src_version: '1', dst_model_name: 'tools-test-prod' },
    check: (r) => {
      expect(dictOf(r)).toEqual({
        name: 'tools-test-prod',
        version: '1',
        status: 'READY',
        source: 'models:/tools-test/1',
        run_id: RUN_TUNED,
      });
    },
  },
  {
    tool: 'delete_model_alias',
    args: { name: 'tools-test', alias: 'challenger' },
    check: (r) => {
      expect(dictOf(r)).toEqual({ success: true, name: 'tools-test', alias: 'challenger' });
    },
  },
  {
    tool: 'delete_model_version',
    args: { name: 'tools-test-prod', version: '1' },
    check: (r) => {
      expect(dictOf(r)).toEqual({ success: true, name: 'tools-test-prod', version: '1' });
    },
  },
  {
    tool: 'delete_registered_model',
    args: { name: 'tools-test-prod' },
    check: (r) => {
      expect(dictOf(r)).toEqual({ success: true, name: 'tools-test-prod' });
    },
  },
  {
    tool: 'delete_run',
    args: { run_id: RUN_CHURN_FAILED },
    check: (r) => {
      expect(dictOf(r)).toEqual({ success: true, run_id: RUN_CHURN_FAILED });
    },
  },
  {
    tool: 'delete_experiment',
    args: { experiment_id: CHURN },
    check: (r) => {
      expect(dictOf(r)).toEqual({ success: true, experiment_id: CHURN });
    },
  },
  {
    tool: 'health',
    args: {},
    check: (r) => {
      expect(dictOf(r)).toEqual({
        status: 'healthy',
        tracking_uri: 'http://127.0.0.1:5000',
        message: 'Successfully connected to MLflow server',
      });
    },
  },
];

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
