/** Model-registry tools that change state (spec §3 #27–29, 32–37). */
import { MlflowError, PythonError } from '../errors.js';
import { pyStr } from '../python-format.js';
import { ArchiveNotActiveError, parseModelsUri, uriScheme } from '../registry-store.js';
import type { ModelVersion } from '../store-schema.js';
import type { ToolContext, ToolHandlers } from './context.js';

const created = (name: string, mv: ModelVersion) => ({
  name,
  version: mv.version,
  status: mv.status,
  source: mv.source,
  run_id: mv.run_id,
});

/**
 * mlflow.register_model's URI handling: runs:/<run>/<path> uses the run's artifacts when they hold
 * an MLmodel, otherwise the MLflow 3 LoggedModel of that name under the run; models:/m-… takes
 * the LoggedModel's source run; models:/<name>/<version> takes that version's run (approximation).
 */
function resolveRegistrationSource(ctx: ToolContext, uri: string): { source: string; runId: string | null } {
  const scheme = uriScheme(uri);
  if (scheme === 'runs') {
    const path = uri.slice(uri.indexOf(':') + 1);
    const [runId = '', ...rest] = path.replace(/^\//, '').split('/');
    if (!path.startsWith('/') || path.length <= 1 || runId === '') {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `Not a proper runs:/ URI: ${uri}. Runs URIs must be of the form 'runs:/<run_id>/run-relative/path/to/artifact'`,
        false,
      );
    }
    const artifactPath = rest.length > 0 ? rest.join('/') : null;
    const run = ctx.store.tracking.getRun(runId);
    const mlmodel = artifactPath === null ? 'MLmodel' : `${artifactPath.replace(/\/+$/, '')}/MLmodel`;
    if (run.artifacts.some((f) => f.path === mlmodel)) {
      return { source: artifactPath === null ? run.artifact_uri : `${run.artifact_uri}/${artifactPath}`, runId };
    }
    const logged = ctx.store.state.logged_models.find((m) => m.source_run_id === runId && m.name === artifactPath);
    if (!logged)
      throw new MlflowError(
        'NOT_FOUND',
        `Unable to find a logged_model with artifact_path ${pyStr(artifactPath)} under run ${runId}`,
        false,
      );
    return { source: `models:/${logged.model_id}`, runId };
  }
  if (scheme === 'models') {
    const parsed = parseModelsUri(uri);
    if (parsed.kind === 'model_id')
      return { source: uri, runId: ctx.store.tracking.getLoggedModel(parsed.modelId).source_run_id };
    return { source: uri, runId: ctx.store.registry.resolveModelsUri(uri).version.run_id || null };
  }
  return { source: uri, runId: null };
}

/**
 * The archive_existing error has no MLflow error code, so the server answers HTTP 500 and the
 * client's retry policy turns it into a max-retries error (unverified; the real one also takes
 * minutes of back-off, which the stand-in skips).
 */
function retriedServerError(trackingUri: string, endpoint: string): PythonError {
  const url = new URL(trackingUri);
  const https = url.protocol === 'https:';
  const port = url.port || (https ? '443' : '80');
  const base = trackingUri.replace(/\/+$/, '');
  return new PythonError(
    `API request to ${base}${endpoint} failed with exception ${https ? 'HTTPSConnectionPool' : 'HTTPConnectionPool'}` +
      `(host='${url.hostname}', port=${port}): Max retries exceeded with url: ${url.pathname.replace(/\/+$/, '')}${endpoint} ` +
      "(Caused by ResponseError('too many 500 error responses'))",
  );
}

export const registryWriteTools: ToolHandlers = {
  /** The registered model is created before the URI is checked, so a bad URI still leaves it behind. */
  register_model: (a, ctx) => {
    const [name, uri, tags] = [a.str('model_name'), a.str('model_uri'), a.optDict('tags')];
    ctx.store.registry.ensureRegisteredModel(name);
    const { source, runId } = resolveRegistrationSource(ctx, uri);
    const tagStrings = Object.fromEntries(Object.entries(tags ?? {}).map(([k, v]) => [k, pyStr(v)]));
    return created(name, ctx.store.registry.createModelVersion({ name, source, runId, tags: tagStrings }));
  },

  set_registered_model_tag: (a, ctx) => {
    const [name, key, value] = [a.str('name'), a.str('key'), a.str('value')];
    ctx.store.registry.setRegisteredModelTag(name, key, value);
    return { success: true, name, key, value };
  },

  /** Echoes the version exactly as sent. */
  set_model_alias: (a, ctx) => {
    const [name, alias, version] = [a.str('name'), a.str('alias'), a.str('version')];
    ctx.store.registry.setAlias(name, alias, version);
    return { success: true, name, alias, version };
  },

  update_model_version: (a, ctx) => {
    const name = a.str('name');
    const mv = ctx.store.registry.updateModelVersion(name, a.str('version'), a.str('description'));
    return {
      name,
      version: mv.version,
      description: mv.description,
      current_stage: mv.current_stage,
      status: mv.status,
    };
  },

  transition_model_version_stage: (a, ctx) => {
    const name = a.str('name');
    try {
      const mv = ctx.store.registry.transitionStage(name, a.str('version'), a.str('stage'), a.bool('archive_existing'));
      return { name, version: mv.version, current_stage: mv.current_stage, status: mv.status };
    } catch (error) {
      if (error instanceof ArchiveNotActiveError)
        throw retriedServerError(ctx.trackingUri, '/api/2.0/mlflow/model-versions/transition-stage');
      throw error;
    }
  },

  /** Always builds models:/<src>/<version>, so "latest"/stage names resolve and aliases cannot. */
  copy_model_version: (a, ctx) => {
    const dst = a.str('dst_model_name');
    const mv = ctx.store.registry.copyModelVersion(`models:/${a.str('src_model_name')}/${a.str('src_version')}`, dst);
    return created(dst, mv);
  },

  delete_model_alias: (a, ctx) => {
    const [name, alias] = [a.str('name'), a.str('alias')];
    ctx.store.registry.deleteAlias(name, alias);
    return { success: true, name, alias };
  },

  delete_model_version: (a, ctx) => {
    const [name, version] = [a.str('name'), a.str('version')];
    ctx.store.registry.deleteModelVersion(name, version);
    return { success: true, name, version };
  },

  delete_registered_model: (a, ctx) => {
    const name = a.str('name');
    ctx.store.registry.deleteRegisteredModel(name);
    return { success: true, name };
  },
};
