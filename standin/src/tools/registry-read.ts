/** Read-only model-registry tools (spec §3 #17–22). */
import { PythonError } from '../errors.js';
import type { PyValue } from '../python-format.js';
import type { ModelVersion } from '../store-schema.js';
import { metricsDict, type ToolHandlers } from './context.js';

/** The nine fields get_model_versions and get_latest_versions share (in their own orders). */
function versionFields(name: string, v: ModelVersion): Record<string, PyValue> {
  return {
    name,
    version: v.version,
    creation_timestamp: v.creation_timestamp,
    last_updated_timestamp: v.last_updated_timestamp,
    current_stage: v.current_stage,
    description: v.description,
    run_id: v.run_id,
    status: v.status,
    tags: { ...v.tags },
  };
}

export const registryReadTools: ToolHandlers = {
  get_registered_models: (_a, ctx) =>
    ctx.store.registry.searchRegisteredModels().map((m) => ({
      name: m.name,
      creation_timestamp: m.creation_timestamp,
      last_updated_timestamp: m.last_updated_timestamp,
      description: m.description,
      tags: { ...m.tags },
    })),

  /** `search_model_versions(f"name='{model_name}'")`: an unknown model gives [], a quote breaks the filter. */
  get_model_versions: (a, ctx) =>
    ctx.store.registry
      .searchModelVersions(`name='${a.str('model_name')}'`)
      .map(({ model, version }) => versionFields(model.name, version)),

  /** Quirk kept: a version without run_id fails with ValueError (the tool insists on the run's data). */
  get_model_version: (a, ctx) => {
    const [name, versionArg] = [a.str('model_name'), a.str('version')];
    const { model, version: v } = ctx.store.registry.getModelVersion(name, versionArg);
    if (!v.run_id) throw new PythonError(`Model ${name} v${versionArg} has no associated run`);
    const run = ctx.store.tracking.getRun(v.run_id);
    return {
      ...versionFields(model.name, v),
      source: v.source,
      run_metrics: metricsDict(run),
      run_params: { ...run.params },
    };
  },

  /**
   * Quirk kept (faithfulness over usefulness): upstream iterates `model.aliases`, a dict, and reads
   * `.alias` off each key, so any model with an alias fails; without aliases the map is always {}.
   */
  get_registered_model: (a, ctx) => {
    const model = ctx.store.registry.getRegisteredModel(a.str('name'));
    if (Object.keys(model.aliases).length > 0) throw new PythonError("'str' object has no attribute 'alias'");
    return {
      name: model.name,
      creation_timestamp: model.creation_timestamp,
      last_updated_timestamp: model.last_updated_timestamp,
      description: model.description,
      tags: { ...model.tags },
      aliases: {},
      latest_versions: ctx.store.registry.latestVersions(model.name, null).map((v) => ({
        version: v.version,
        current_stage: v.current_stage,
        status: v.status,
        run_id: v.run_id,
        description: v.description,
      })),
    };
  },

  get_model_version_by_alias: (a, ctx) => {
    const alias = a.str('alias');
    const { model, version: v } = ctx.store.registry.getVersionByAlias(a.str('name'), alias);
    return {
      name: model.name,
      version: v.version,
      alias,
      current_stage: v.current_stage,
      status: v.status,
      run_id: v.run_id,
      creation_timestamp: v.creation_timestamp,
      last_updated_timestamp: v.last_updated_timestamp,
      description: v.description,
      tags: { ...v.tags },
      source: v.source,
    };
  },

  get_latest_versions: (a, ctx) => {
    const name = a.str('name');
    return ctx.store.registry.latestVersions(name, a.optStrList('stages')).map((v) => ({
      name,
      version: v.version,
      current_stage: v.current_stage,
      status: v.status,
      run_id: v.run_id,
      creation_timestamp: v.creation_timestamp,
      last_updated_timestamp: v.last_updated_timestamp,
      description: v.description,
      tags: { ...v.tags },
    }));
  },
};
