/**
 * MLflow tracking semantics over the in-memory state (spec §5, tracking side): experiments, runs
 * with metric history, artifacts and logged models. Searches see active entities only.
 */
import { invalidParam, notFound } from './errors.js';
import {
  compareByOrder,
  matchesAll,
  parseFilter,
  parseOrderBy,
  type Accessor,
  type Dialect,
  type OrderClause,
} from './filter.js';
import type { Artifact, Experiment, LoggedModel, MetricPoint, Run, StoreState } from './store-schema.js';
import { validateTag } from './validation.js';

export interface StoreContext {
  readonly state: StoreState;
  now(): number;
  /** Called after every mutation so a state file can be rewritten. */
  changed(): void;
}

export const SEARCH_MAX_RESULTS_THRESHOLD = 50000;

const RUN_DIALECT: Dialect = {
  entities: ['metric', 'parameter', 'tag', 'attribute', 'dataset'],
  stringAttributes: {
    run_id: 'run_id',
    run_name: 'run_name',
    'run name': 'run_name',
    'Run name': 'run_name',
    'Run Name': 'run_name',
    status: 'status',
    user_id: 'user_id',
    artifact_uri: 'artifact_uri',
  },
  numericAttributes: { start_time: 'start_time', end_time: 'end_time', created: 'start_time', Created: 'start_time' },
  orderAttributes: {
    run_id: 'run_id',
    run_name: 'run_name',
    status: 'status',
    user_id: 'user_id',
    artifact_uri: 'artifact_uri',
    start_time: 'start_time',
    end_time: 'end_time',
    experiment_id: 'experiment_id',
    created: 'start_time',
    Created: 'start_time',
  },
};

const EXPERIMENT_DIALECT: Dialect = {
  entities: ['attribute', 'tag'],
  stringAttributes: { name: 'name' },
  numericAttributes: { creation_time: 'creation_time', last_update_time: 'last_update_time' },
  orderAttributes: {
    name: 'name',
    experiment_id: 'experiment_id',
    creation_time: 'creation_time',
    last_update_time: 'last_update_time',
  },
};

const LOGGED_MODEL_DIALECT: Dialect = {
  entities: ['metric', 'parameter', 'tag', 'attribute'],
  stringAttributes: {
    name: 'name',
    model_id: 'model_id',
    model_type: 'model_type',
    status: 'status',
    source_run_id: 'source_run_id',
  },
  numericAttributes: {
    creation_timestamp: 'creation_timestamp',
    creation_time: 'creation_timestamp',
    last_updated_timestamp: 'last_updated_timestamp',
  },
  orderAttributes: {
    name: 'name',
    model_id: 'model_id',
    experiment_id: 'experiment_id',
    creation_timestamp: 'creation_timestamp',
    creation_time: 'creation_timestamp',
    last_updated_timestamp: 'last_updated_timestamp',
  },
};

/** MLflow's run value for a metric: the point with the greatest (step, timestamp, value). */
export function latestPoint(history: readonly MetricPoint[]): MetricPoint | undefined {
  let best: MetricPoint | undefined;
  for (const p of history) {
    if (
      !best ||
      p.step > best.step ||
      (p.step === best.step &&
        (p.timestamp > best.timestamp || (p.timestamp === best.timestamp && p.value > best.value)))
    )
      best = p;
  }
  return best;
}

export function latestMetrics(run: Run): Record<string, number> {
  return Object.fromEntries(Object.entries(run.metrics).map(([k, h]) => [k, latestPoint(h)?.value ?? NaN]));
}

export interface FileInfo {
  path: string;
  is_dir: boolean;
  file_size: number | null;
}

export type ArtifactNode = { kind: 'file'; artifact: Artifact } | { kind: 'dir'; path: string; files: Artifact[] };

export function artifactBytes(artifact: Artifact): Buffer {
  return Buffer.from(artifact.content, artifact.encoding === 'base64' ? 'base64' : 'utf8');
}

const normalizeArtifactPath = (path: string) => path.replace(/^\/+|\/+$/g, '');

function validateMaxResults(maxResults: number): void {
  if (maxResults < 1)
    throw invalidParam(
      `Invalid value ${maxResults} for parameter 'max_results' supplied. It must be a positive integer`,
    );
  if (maxResults > SEARCH_MAX_RESULTS_THRESHOLD) {
    throw invalidParam(
      `Invalid value ${maxResults} for parameter 'max_results' supplied. It must be at most ${SEARCH_MAX_RESULTS_THRESHOLD}`,
    );
  }
}

function sortWith<T>(
  items: T[],
  orders: readonly OrderClause[],
  read: (item: T, type: OrderClause['type'], key: string) => string | number | null | undefined,
): T[] {
  return [...items].sort(compareByOrder(orders, read));
}

export class TrackingStore {
  constructor(private readonly ctx: StoreContext) {}

  private get state(): StoreState {
    return this.ctx.state;
  }

  // ---- experiments -------------------------------------------------------------------------

  /** SQL store default order: creation_time DESC, experiment_id ASC (tie-breaker experiment_id). */
  searchExperiments(options: {
    filter?: string | null;
    orderBy?: readonly string[] | null;
    maxResults: number;
  }): Experiment[] {
    validateMaxResults(options.maxResults);
    const clauses = parseFilter(options.filter ?? null, EXPERIMENT_DIALECT);
    const requested =
      options.orderBy && options.orderBy.length > 0 ? options.orderBy : ['creation_time DESC', 'experiment_id ASC'];
    const orders = requested.map((o) => parseOrderBy(o, EXPERIMENT_DIALECT));
    if (!orders.some((o) => o.key === 'experiment_id'))
      orders.push({ type: 'attribute', key: 'experiment_id', ascending: false });
    const active = this.state.experiments.filter((e) => e.lifecycle_stage === 'active');
    const matching = active.filter((e) => matchesAll(clauses, (type, key) => experimentValue(e, type, key)));
    return sortWith(matching, orders, experimentValue).slice(0, options.maxResults);
  }

  getExperimentByName(name: string): Experiment | undefined {
    return this.state.experiments.find((e) => e.name === name);
  }

  getExperiment(experimentId: string): Experiment {
    const experiment = this.state.experiments.find((e) => e.experiment_id === experimentId);
    if (!experiment) throw notFound(`No Experiment with id=${experimentId} exists`);
    return experiment;
  }

  setExperimentTag(experimentId: string, key: string, value: string): void {
    validateTag(key, value, 'experiment');
    const experiment = this.getExperiment(experimentId);
    if (experiment.lifecycle_stage !== 'active') {
      throw invalidParam(
        `The experiment ${experimentId} must be in the 'active' state. Current state is ${experiment.lifecycle_stage}.`,
      );
    }
    experiment.tags[key] = value;
    this.ctx.changed();
  }

  /** Soft delete that also deletes the experiment's runs (SQL store behaviour). */
  deleteExperiment(experimentId: string): void {
    const experiment = this.getExperiment(experimentId);
    if (experiment.lifecycle_stage !== 'active') throw notFound(`No Experiment with id=${experimentId} exists`);
    const now = this.ctx.now();
    experiment.lifecycle_stage = 'deleted';
    experiment.last_update_time = now;
    for (const run of this.state.runs) if (run.experiment_id === experimentId) run.lifecycle_stage = 'deleted';
    this.ctx.changed();
  }

  // ---- runs --------------------------------------------------------------------------------

  /** Default order start_time DESC, run_id ASC; order_by clauses go first, missing values last. */
  searchRuns(options: {
    experimentIds: readonly string[];
    filter?: string | null;
    orderBy?: readonly string[] | null;
    maxResults: number;
  }): Run[] {
    if (options.maxResults > SEARCH_MAX_RESULTS_THRESHOLD) {
      throw invalidParam(
        `Invalid value ${options.maxResults} for parameter 'max_results' supplied. It must be at most ${SEARCH_MAX_RESULTS_THRESHOLD}`,
      );
    }
    const clauses = parseFilter(options.filter ?? null, RUN_DIALECT);
    const orders = (options.orderBy ?? []).map((o) => parseOrderBy(o, RUN_DIALECT));
    orders.push(
      { type: 'attribute', key: 'start_time', ascending: false },
      { type: 'attribute', key: 'run_id', ascending: true },
    );
    const candidates = this.state.runs.filter(
      (r) => r.lifecycle_stage === 'active' && options.experimentIds.includes(r.experiment_id),
    );
    const plain = clauses.filter((c) => c.type !== 'dataset');
    const matching = candidates.filter((r) => matchesAll(plain, runAccessor(r)) && datasetClausesMatch(r, clauses));
    // A non-positive limit returns nothing rather than failing (unverified for the REST server).
    return options.maxResults < 1
      ? []
      : sortWith(matching, orders, (r, type, key) => runAccessor(r)(type, key)).slice(0, options.maxResults);
  }

  getRun(runId: string): Run {
    const run = this.state.runs.find((r) => r.run_id === runId);
    if (!run) throw notFound(`Run with id=${runId} not found`);
    return run;
  }

  setRunTag(runId: string, key: string, value: string): void {
    validateTag(key, value, 'run');
    const run = this.getRun(runId);
    if (run.lifecycle_stage !== 'active') {
      throw invalidParam(`The run ${runId} must be in the 'active' state. Current state is ${run.lifecycle_stage}.`);
    }
    run.tags[key] = value;
    this.ctx.changed();
  }

  /** Soft and idempotent. */
  deleteRun(runId: string): void {
    const run = this.getRun(runId);
    run.lifecycle_stage = 'deleted';
    this.ctx.changed();
  }

  /** The REST store does not check that the run exists: unknown runs and metrics give []. */
  metricHistory(runId: string, key: string): MetricPoint[] {
    return this.state.runs.find((r) => r.run_id === runId)?.metrics[key] ?? [];
  }

  // ---- artifacts ---------------------------------------------------------------------------

  /** Immediate children of `path`, sorted; a missing path or a file gives []. */
  listArtifacts(runId: string, path: string): FileInfo[] {
    const run = this.getRun(runId);
    const prefix = normalizeArtifactPath(path);
    const children = new Map<string, FileInfo>();
    for (const artifact of run.artifacts) {
      if (prefix !== '' && !artifact.path.startsWith(prefix + '/')) continue;
      const rest = prefix === '' ? artifact.path : artifact.path.slice(prefix.length + 1);
      const [head = '', ...deeper] = rest.split('/');
      const childPath = prefix === '' ? head : `${prefix}/${head}`;
      if (deeper.length > 0) children.set(childPath, { path: childPath, is_dir: true, file_size: null });
      else children.set(childPath, { path: childPath, is_dir: false, file_size: artifactBytes(artifact).length });
    }
    return [...children.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  findArtifact(run: Run, path: string): ArtifactNode | undefined {
    const wanted = normalizeArtifactPath(path);
    const file = run.artifacts.find((a) => a.path === wanted);
    if (file) return { kind: 'file', artifact: file };
    const files = run.artifacts.filter((a) => wanted === '' || a.path.startsWith(wanted + '/'));
    return files.length > 0 ? { kind: 'dir', path: wanted, files } : undefined;
  }

  // ---- logged models -----------------------------------------------------------------------

  getLoggedModel(modelId: string): LoggedModel {
    const model = this.state.logged_models.find((m) => m.model_id === modelId);
    if (!model) throw notFound(`Logged model with ID '${modelId}' not found.`);
    return model;
  }

  /**
   * `datasets` restricts which metrics the filter and ordering look at, as MLflow does. The dicts
   * use MLflow's client keys (dataset_name/dataset_digest, KeyError otherwise).
   */
  searchLoggedModels(options: {
    experimentIds: readonly string[];
    filter: string | null;
    maxResults: number;
    datasets: { dataset_name: string; dataset_digest: string | null }[];
    orderBy: OrderClause[];
  }): LoggedModel[] {
    validateMaxResults(options.maxResults);
    const clauses = parseFilter(options.filter, LOGGED_MODEL_DIALECT);
    const onDataset = (m: LoggedModel['metrics'][number]) =>
      options.datasets.length === 0 ||
      options.datasets.some(
        (d) =>
          d.dataset_name === m.dataset_name && (d.dataset_digest === null || d.dataset_digest === m.dataset_digest),
      );
    const read = (model: LoggedModel, type: string, key: string): string | number | null | undefined => {
      if (type === 'metric') return model.metrics.find((m) => m.key === key && onDataset(m))?.value;
      if (type === 'parameter') return model.params[key];
      if (type === 'tag') return model.tags[key];
      return (model as unknown as Record<string, string | number | null>)[key];
    };
    const orders = [
      ...options.orderBy,
      { type: 'attribute' as const, key: 'creation_timestamp', ascending: false },
      { type: 'attribute' as const, key: 'model_id', ascending: true },
    ];
    const matching = this.state.logged_models.filter(
      (m) => options.experimentIds.includes(m.experiment_id) && matchesAll(clauses, (type, key) => read(m, type, key)),
    );
    return sortWith(matching, orders, read).slice(0, options.maxResults);
  }

  parseLoggedModelOrderField(fieldName: string): OrderClause {
    return parseOrderBy(fieldName, LOGGED_MODEL_DIALECT);
  }
}

function experimentValue(e: Experiment, type: string, key: string): string | number | undefined {
  if (type === 'tag') return e.tags[key];
  if (key === 'experiment_id') return Number(e.experiment_id);
  if (key === 'name') return e.name;
  if (key === 'creation_time') return e.creation_time;
  if (key === 'last_update_time') return e.last_update_time;
  return undefined;
}

function runAccessor(run: Run): Accessor {
  return (type, key) => {
    switch (type) {
      case 'metric': {
        const history = run.metrics[key];
        return history ? latestPoint(history)?.value : undefined;
      }
      case 'parameter':
        return run.params[key];
      case 'tag':
        return run.tags[key];
      default:
        if (key === 'run_name') return run.tags['mlflow.runName'] ?? '';
        if (key === 'user_id') return run.tags['mlflow.user'] ?? '';
        return (run as unknown as Record<string, string | number | null>)[key];
    }
  };
}

/** dataset.name / dataset.digest / dataset.context clauses match any of the run's inputs. */
function datasetClausesMatch(run: Run, clauses: ReturnType<typeof parseFilter>): boolean {
  return clauses
    .filter((c) => c.type === 'dataset')
    .every((c) =>
      run.inputs.some((input) => {
        const lhs =
          c.key === 'context' ? input.tags['mlflow.data.context'] : c.key === 'name' ? input.name : input.digest;
        return lhs !== undefined && matchesAll([{ ...c, type: 'attribute' }], () => lhs);
      }),
    );
}
