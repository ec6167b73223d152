/**
 * The stand-in's data file: the same format for `--seed` (read once) and `--state` (read and
 * rewritten after every change). Field names follow MLflow's entities; timestamps are epoch ms.
 */
import { z } from 'zod';
import { formatIssues } from '../../src/shared/index.js';

export const STATE_FORMAT = 'airlock-mlflow-standin/1';

const Int = z.number().int();
const Tags = z.record(z.string(), z.string());
const LifecycleStage = z.enum(['active', 'deleted']);

export const ExperimentZ = z.strictObject({
  experiment_id: z.string().regex(/^\d+$/, 'experiment ids are decimal strings'),
  name: z.string().min(1),
  artifact_location: z.string(),
  lifecycle_stage: LifecycleStage.default('active'),
  creation_time: Int,
  last_update_time: Int,
  tags: Tags.default({}),
});

export const MetricPointZ = z.strictObject({ value: z.number(), timestamp: Int, step: Int.default(0) });

export const DatasetInputZ = z.strictObject({
  name: z.string(),
  digest: z.string(),
  source_type: z.string(),
  tags: Tags.default({}),
});

export const ArtifactZ = z.strictObject({
  // Relative, no empty, "." or ".." segments: files are written under a temp dir on download.
  path: z
    .string()
    .refine(
      (p) => p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..'),
      'artifact paths are relative, without empty, "." or ".." segments',
    ),
  content: z.string(),
  /** base64 for binary files such as model.pkl. */
  encoding: z.enum(['utf8', 'base64']).default('utf8'),
});

export const RunZ = z.strictObject({
  run_id: z.string().regex(/^[0-9a-f]{32}$/, 'run ids are 32 lowercase hex digits'),
  experiment_id: z.string(),
  status: z.enum(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']),
  start_time: Int,
  end_time: Int.nullable().default(null),
  lifecycle_stage: LifecycleStage.default('active'),
  artifact_uri: z.string(),
  /** Full history per metric; the run's value is the latest point (max step, timestamp, value). */
  metrics: z.record(z.string(), z.array(MetricPointZ).min(1)).default({}),
  params: Tags.default({}),
  tags: Tags.default({}),
  inputs: z.array(DatasetInputZ).default([]),
  artifacts: z.array(ArtifactZ).default([]),
});

export const LoggedModelMetricZ = z.strictObject({
  key: z.string(),
  value: z.number(),
  timestamp: Int,
  step: Int.default(0),
  dataset_name: z.string().nullable().default(null),
  dataset_digest: z.string().nullable().default(null),
  run_id: z.string().nullable().default(null),
});

export const LoggedModelZ = z.strictObject({
  model_id: z.string().regex(/^m-[0-9a-f]{32}$/, 'logged model ids are "m-" and 32 hex digits'),
  experiment_id: z.string(),
  name: z.string(),
  artifact_location: z.string(),
  creation_timestamp: Int,
  last_updated_timestamp: Int,
  model_type: z.string().nullable().default(null),
  source_run_id: z.string().nullable().default(null),
  status: z.enum(['READY', 'PENDING', 'FAILED']).default('READY'),
  status_message: z.string().nullable().default(null),
  tags: Tags.default({}),
  params: Tags.default({}),
  metrics: z.array(LoggedModelMetricZ).default([]),
});

/** `Deleted_Internal` is MLflow's soft delete: invisible, but its number is never reused. */
export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export const DELETED_STAGE = 'Deleted_Internal';

export const ModelVersionZ = z.strictObject({
  version: z.string().regex(/^[1-9]\d*$/, 'versions are positive integers written as strings'),
  creation_timestamp: Int,
  last_updated_timestamp: Int,
  description: z.string().default(''),
  user_id: z.string().default(''),
  current_stage: z.enum([...STAGES, DELETED_STAGE]).default('None'),
  source: z.string(),
  run_id: z.string().default(''),
  run_link: z.string().default(''),
  status: z.enum(['READY', 'PENDING_REGISTRATION', 'FAILED_REGISTRATION']).default('READY'),
  status_message: z.string().default(''),
  tags: Tags.default({}),
});

export const RegisteredModelZ = z.strictObject({
  name: z.string().min(1),
  creation_timestamp: Int,
  last_updated_timestamp: Int,
  description: z.string().default(''),
  tags: Tags.default({}),
  /** alias → version */
  aliases: z.record(z.string(), z.string()).default({}),
  versions: z.array(ModelVersionZ).default([]),
});

export const StoreStateZ = z
  .strictObject({
    format: z.literal(STATE_FORMAT),
    /** Bumped by every `--state` write, so stand-ins sharing the file see each other's changes; optional for older files. */
    revision: Int.nonnegative().optional(),
    experiments: z.array(ExperimentZ),
    runs: z.array(RunZ).default([]),
    logged_models: z.array(LoggedModelZ).default([]),
    registered_models: z.array(RegisteredModelZ).default([]),
  })
  .superRefine((state, ctx) => {
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const experimentIds = new Set<string>();
    state.experiments.forEach((e, i) => {
      if (experimentIds.has(e.experiment_id))
        issue(['experiments', i, 'experiment_id'], `duplicate experiment id ${e.experiment_id}`);
      experimentIds.add(e.experiment_id);
    });
    const runIds = new Set<string>();
    state.runs.forEach((r, i) => {
      if (runIds.has(r.run_id)) issue(['runs', i, 'run_id'], `duplicate run id ${r.run_id}`);
      if (!experimentIds.has(r.experiment_id))
        issue(['runs', i, 'experiment_id'], `no experiment with id ${r.experiment_id}`);
      runIds.add(r.run_id);
    });
    state.logged_models.forEach((m, i) => {
      if (!experimentIds.has(m.experiment_id))
        issue(['logged_models', i, 'experiment_id'], `no experiment with id ${m.experiment_id}`);
    });
    const modelNames = new Set<string>();
    state.registered_models.forEach((m, i) => {
      if (modelNames.has(m.name)) issue(['registered_models', i, 'name'], `duplicate registered model ${m.name}`);
      modelNames.add(m.name);
      const versions = new Map(m.versions.map((v) => [v.version, v]));
      if (versions.size !== m.versions.length) issue(['registered_models', i, 'versions'], 'duplicate version numbers');
      for (const [alias, version] of Object.entries(m.aliases)) {
        const target = versions.get(version);
        if (!target || target.current_stage === DELETED_STAGE) {
          issue(['registered_models', i, 'aliases', alias], `alias points at missing version ${version}`);
        }
      }
    });
  });

export type StoreState = z.infer<typeof StoreStateZ>;
export type Experiment = z.infer<typeof ExperimentZ>;
export type Run = z.infer<typeof RunZ>;
export type MetricPoint = z.infer<typeof MetricPointZ>;
export type Artifact = z.infer<typeof ArtifactZ>;
export type LoggedModel = z.infer<typeof LoggedModelZ>;
export type ModelVersion = z.infer<typeof ModelVersionZ>;
export type RegisteredModel = z.infer<typeof RegisteredModelZ>;
export type Stage = (typeof STAGES)[number];

/** Validate parsed JSON; the error names the source and every offending JSON path. */
export function parseStoreState(data: unknown, source: string): StoreState {
  const result = StoreStateZ.safeParse(data);
  if (result.success) return result.data;
  throw new Error(`${source}: invalid stand-in data file\n${formatIssues(source, result.error.issues)}`);
}
