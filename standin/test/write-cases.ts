/** The tool cases that write, then the destructive ones (touching only what the reads no longer need), then health. */
import { expect } from 'vitest';
import { dictOf } from './helpers.js';
import { CHURN, RUN_TUNED, RUN_LGBM, RUN_CHURN_FAILED, LOGGED_XGB, type Case } from './seed-ids.js';

export const WRITE_CASES: Case[] = [
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
