/** The tool cases that only read: run first, against the untouched seed. */
import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { dictOf, listOf, onlyText, texts } from './helpers.js';
import {
  FRAUD,
  CHURN,
  RUN_BASELINE,
  RUN_TUNED,
  RUN_TRIAL,
  RUN_LGBM,
  RUN_CHURN_FAILED,
  LOGGED_XGB,
  RUN_A,
  RUN_Q,
  RUN_T,
  VERSION_FIELDS,
  LOGGED_MODEL,
  keysOf,
  type Case,
} from './seed-ids.js';

export const READ_CASES: Case[] = [
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
];
