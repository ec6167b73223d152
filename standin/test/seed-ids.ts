/** The built-in seed's ids and the result shapes the tool cases (read-cases.ts, write-cases.ts) check. */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

export const FRAUD = '1';
export const CHURN = '2';
export const RUN_BASELINE = '1f32c67417521274adcdd67899f54a0f';
export const RUN_TUNED = 'a565db8e8544424dda7c3b9747db08b8';
export const RUN_TRIAL = '4f88e807d8feebd8a198df1a15b3e5c3';
export const RUN_LGBM = '83e9d8f4ac321369c59ae9d3ca9ab624';
export const RUN_CHURN_FAILED = 'c6b9fd3103c3c275904286b683a7a859';
export const LOGGED_XGB = 'm-8b7d9cdc9fd9921049fb61248909bcb8';

export const RUN_A = ['run_id', 'experiment_id', 'status', 'start_time', 'end_time', 'metrics', 'params', 'tags'];
export const RUN_Q = ['run_id', 'experiment_id', 'status', 'metrics', 'params'];
export const RUN_T = [...RUN_Q, 'tags'];
export const VERSION_FIELDS = [
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
export const LOGGED_MODEL = [
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

export const keysOf = (value: unknown) => Object.keys(value as object);

export interface Case {
  tool: string;
  args: Record<string, unknown>;
  check: (result: CallToolResult) => void;
}
