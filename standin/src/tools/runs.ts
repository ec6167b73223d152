/** Run tools (spec §3 #7–10, 13–16, 23, 30, 38). */
import { PythonError } from '../errors.js';
import { pyFloat, pyStr } from '../python-format.js';
import { latestMetrics } from '../tracking-store.js';
import { metricsDict, runDetails, runSummary, runSummaryWithTags, sliceFrom, type ToolHandlers } from './context.js';

export const runTools: ToolHandlers = {
  get_runs: (a, ctx) => {
    const offset = a.int('offset');
    const runs = ctx.store.tracking.searchRuns({
      experimentIds: [a.str('experiment_id')],
      orderBy: a.optStrList('order_by'),
      maxResults: offset + a.int('limit'),
    });
    return sliceFrom(runs, offset).map(runDetails);
  },

  get_run: (a, ctx) => {
    const run = ctx.store.tracking.getRun(a.str('run_id'));
    return {
      run_id: run.run_id,
      experiment_id: run.experiment_id,
      status: run.status,
      start_time: run.start_time,
      end_time: run.end_time,
      artifact_uri: run.artifact_uri,
      lifecycle_stage: run.lifecycle_stage,
      metrics: metricsDict(run),
      params: { ...run.params },
      tags: { ...run.tags },
      inputs: run.inputs.map((i) => ({
        name: i.name,
        digest: i.digest,
        source_type: i.source_type,
        tags: { ...i.tags },
      })),
    };
  },

  /** MlflowClient.get_parent_run: None (→ content [] and {result: null}) without the tag. */
  get_parent_run: (a, ctx) => {
    const child = ctx.store.tracking.getRun(a.str('run_id'));
    const parentId = child.tags['mlflow.parentRunId'];
    return parentId === undefined ? null : runDetails(ctx.store.tracking.getRun(parentId));
  },

  query_runs: (a, ctx) => {
    const offset = a.int('offset');
    const runs = ctx.store.tracking.searchRuns({
      experimentIds: [a.str('experiment_id')],
      filter: a.str('query'),
      orderBy: a.optStrList('order_by'),
      maxResults: offset + a.int('limit'),
    });
    return sliceFrom(runs, offset).map(runSummary);
  },

  get_run_metrics: (a, ctx) => metricsDict(ctx.store.tracking.getRun(a.str('run_id'))),

  get_run_metric: (a, ctx) =>
    ctx.store.tracking
      .metricHistory(a.str('run_id'), a.str('metric_name'))
      .map((p) => ({ step: p.step, timestamp: p.timestamp, value: pyFloat(p.value) })),

  /**
   * Quirk kept: runs lacking the metric sort last, so when no run has it the top run is returned
   * with best_metric_value null instead of an error.
   */
  get_best_run: (a, ctx) => {
    const [experimentId, metric] = [a.str('experiment_id'), a.str('metric')];
    const runs = ctx.store.tracking.searchRuns({
      experimentIds: [experimentId],
      orderBy: [`metrics.\`${metric}\` ${a.bool('ascending') ? 'ASC' : 'DESC'}`],
      maxResults: 1,
    });
    const best = runs[0];
    if (!best) throw new PythonError(`No runs found in experiment ${experimentId} with metric ${metric}`);
    const value = latestMetrics(best)[metric];
    return { ...runSummaryWithTags(best), best_metric_value: value === undefined ? null : pyFloat(value) };
  },

  /** Quirk kept: experiment_id is accepted but unused; each id goes through get_run. */
  compare_runs: (a, ctx) => {
    const runs = a.strList('run_ids').map((id) => ctx.store.tracking.getRun(id));
    const sorted = (keys: string[]) => [...new Set(keys)].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    return {
      runs: runs.map((r) => ({
        run_id: r.run_id,
        status: r.status,
        start_time: r.start_time,
        metrics: metricsDict(r),
        params: { ...r.params },
      })),
      all_metrics: sorted(runs.flatMap((r) => Object.keys(r.metrics))),
      all_params: sorted(runs.flatMap((r) => Object.keys(r.params))),
    };
  },

  /** Builds ``tags.`k` = 'v'`` clauses joined by " and "; a quote inside a value breaks the filter, as upstream. */
  search_runs_by_tags: (a, ctx) => {
    const offset = a.int('offset');
    const filter = Object.entries(a.dict('tags'))
      .map(([k, v]) => `tags.\`${k}\` = '${pyStr(v)}'`)
      .join(' and ');
    const runs = ctx.store.tracking.searchRuns({
      experimentIds: [a.str('experiment_id')],
      filter,
      maxResults: offset + a.int('limit'),
    });
    return sliceFrom(runs, offset).map(runSummaryWithTags);
  },

  set_run_tag: (a, ctx) => {
    const [runId, key, value] = [a.str('run_id'), a.str('key'), a.str('value')];
    ctx.store.tracking.setRunTag(runId, key, value);
    return { success: true, run_id: runId, key, value };
  },

  delete_run: (a, ctx) => {
    const runId = a.str('run_id');
    ctx.store.tracking.deleteRun(runId);
    return { success: true, run_id: runId };
  },
};
