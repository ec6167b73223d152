/**
 * What tool handlers get, and the dict shapes several tools share (RunA/RunQ/RunT, LoggedModel).
 * Handlers return Python-like values; results.ts turns them into MCP results.
 */
import type { ArtifactDownloads } from '../artifact-downloads.js';
import type { Args } from '../arguments.js';
import { pyFloat, type PyValue } from '../python-format.js';
import type { StandinStore } from '../store.js';
import type { LoggedModel, Run } from '../store-schema.js';
import { latestMetrics } from '../tracking-store.js';

export interface ToolContext {
  store: StandinStore;
  /** What the real server reports as MLFLOW_TRACKING_URI. */
  trackingUri: string;
  downloads: ArtifactDownloads;
}

export type ToolHandler = (args: Args, ctx: ToolContext) => PyValue | Promise<PyValue>;
export type ToolHandlers = Readonly<Record<string, ToolHandler>>;

/** Metric values are Python floats. */
export function metricsDict(run: Run): Record<string, PyValue> {
  return Object.fromEntries(Object.entries(latestMetrics(run)).map(([k, v]) => [k, pyFloat(v)]));
}

/** RunA: what get_runs and get_parent_run return per run. */
export function runDetails(run: Run): Record<string, PyValue> {
  return {
    run_id: run.run_id,
    experiment_id: run.experiment_id,
    status: run.status,
    start_time: run.start_time,
    end_time: run.end_time,
    metrics: metricsDict(run),
    params: { ...run.params },
    tags: { ...run.tags },
  };
}

/** RunQ: query_runs. */
export function runSummary(run: Run): Record<string, PyValue> {
  return {
    run_id: run.run_id,
    experiment_id: run.experiment_id,
    status: run.status,
    metrics: metricsDict(run),
    params: { ...run.params },
  };
}

/** RunT: RunQ plus tags (get_best_run, search_runs_by_tags). */
export function runSummaryWithTags(run: Run): Record<string, PyValue> {
  return { ...runSummary(run), tags: { ...run.tags } };
}

/**
 * helpers.serialize_logged_model: `dict(LoggedModel)` iterates the entity's properties sorted by
 * name, status becomes its string, and metrics become Metric.to_dictionary() dicts.
 */
export function loggedModelDict(m: LoggedModel): Record<string, PyValue> {
  return {
    artifact_location: m.artifact_location,
    creation_timestamp: m.creation_timestamp,
    experiment_id: m.experiment_id,
    last_updated_timestamp: m.last_updated_timestamp,
    metrics: m.metrics.map((x) => ({
      key: x.key,
      value: pyFloat(x.value),
      timestamp: x.timestamp,
      step: x.step,
      model_id: m.model_id,
      dataset_name: x.dataset_name,
      dataset_digest: x.dataset_digest,
      run_id: x.run_id,
    })),
    model_id: m.model_id,
    model_type: m.model_type,
    name: m.name,
    params: { ...m.params },
    source_run_id: m.source_run_id,
    status: m.status,
    status_message: m.status_message,
    tags: { ...m.tags },
  };
}

/** Python's `list[offset:]` (a negative offset counts from the end, as Array.slice does). */
export function sliceFrom<T>(items: readonly T[], offset: number): T[] {
  return items.slice(offset);
}
