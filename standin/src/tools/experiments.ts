/** Experiment tools and `health` (spec §3 #1–6, 31, 39, 40). */
import { PythonError } from '../errors.js';
import type { PyValue } from '../python-format.js';
import type { Experiment } from '../store-schema.js';
import type { ToolContext, ToolHandlers } from './context.js';

/** MLflow's SEARCH_MAX_RESULTS_DEFAULT, used by get_experiments and the name-collecting tools. */
const SEARCH_DEFAULT = 1000;

function experimentRunKeys(
  ctx: ToolContext,
  experimentId: string,
  pick: (run: { metrics: object; params: object; tags: object }) => object,
): string[] {
  const runs = ctx.store.tracking.searchRuns({ experimentIds: [experimentId], maxResults: SEARCH_DEFAULT });
  const keys = new Set(runs.flatMap((r) => Object.keys(pick(r))));
  return [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const tags = (e: Experiment): Record<string, PyValue> => ({ ...e.tags });

export const experimentTools: ToolHandlers = {
  get_experiments: (_a, ctx) =>
    ctx.store.tracking
      .searchExperiments({ maxResults: SEARCH_DEFAULT })
      .map((e) => ({ name: e.name, id: e.experiment_id })),

  search_experiments: (a, ctx) =>
    ctx.store.tracking
      .searchExperiments({
        filter: a.optStr('filter_string'),
        orderBy: a.optStrList('order_by'),
        maxResults: a.int('max_results'),
      })
      .map((e) => ({
        experiment_id: e.experiment_id,
        name: e.name,
        artifact_location: e.artifact_location,
        lifecycle_stage: e.lifecycle_stage,
        creation_time: e.creation_time,
        last_update_time: e.last_update_time,
        tags: tags(e),
      })),

  get_experiment_by_name: (a, ctx) => {
    const name = a.str('name');
    const e = ctx.store.tracking.getExperimentByName(name);
    if (!e) throw new PythonError(`Experiment with name '${name}' not found`);
    return {
      experiment_id: e.experiment_id,
      name: e.name,
      artifact_location: e.artifact_location,
      lifecycle_stage: e.lifecycle_stage,
      tags: tags(e),
    };
  },

  get_experiment_metrics: (a, ctx) => experimentRunKeys(ctx, a.str('experiment_id'), (r) => r.metrics),
  get_experiment_params: (a, ctx) => experimentRunKeys(ctx, a.str('experiment_id'), (r) => r.params),
  get_experiment_tags: (a, ctx) => experimentRunKeys(ctx, a.str('experiment_id'), (r) => r.tags),

  set_experiment_tag: (a, ctx) => {
    const [experimentId, key, value] = [a.str('experiment_id'), a.str('key'), a.str('value')];
    ctx.store.tracking.setExperimentTag(experimentId, key, value);
    return { success: true, experiment_id: experimentId, key, value };
  },

  /** Allowed for "0" too: the SQL store (unlike the FileStore) does not protect Default. */
  delete_experiment: (a, ctx) => {
    const experimentId = a.str('experiment_id');
    ctx.store.tracking.deleteExperiment(experimentId);
    return { success: true, experiment_id: experimentId };
  },

  /** Never an error result: failures come back as status "unhealthy". */
  health: (_a, ctx): PyValue => {
    try {
      ctx.store.tracking.searchExperiments({ maxResults: 1 });
      return { status: 'healthy', tracking_uri: ctx.trackingUri, message: 'Successfully connected to MLflow server' };
    } catch (error) {
      return {
        status: 'unhealthy',
        tracking_uri: ctx.trackingUri,
        error: error instanceof Error ? error.message : String(error),
      };
    }
  },
};
