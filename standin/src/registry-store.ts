/**
 * MLflow model-registry semantics (spec §5): string versions numbered max(all, incl. soft-deleted)+1,
 * soft-deleted versions invisible, hard-deleted models, aliases, stages and copy_model_version.
 */
import { alreadyExists, invalidParam, MlflowError, notFound, PythonError, messageOf } from './errors.js';
import { compare, parseFilter, type Dialect } from './filter.js';
import { DELETED_STAGE, STAGES, type ModelVersion, type RegisteredModel, type Stage } from './store-schema.js';
import type { StoreContext } from './tracking-store.js';
import { canonicalStage, parseVersion, validateAliasName, validateModelName, validateTag } from './validation.js';

export interface VersionRef {
  model: RegisteredModel;
  version: ModelVersion;
}

export interface NewVersion {
  name: string;
  source: string;
  runId: string | null;
  tags: Record<string, string>;
  runLink?: string;
  description?: string;
}

const MODEL_VERSION_DIALECT: Dialect = {
  entities: ['attribute', 'tag'],
  stringAttributes: { name: 'name', run_id: 'run_id', source_path: 'source' },
  numericAttributes: { version_number: 'version' },
  orderAttributes: {},
};

const isLive = (v: ModelVersion) => v.current_stage !== DELETED_STAGE;
const versionNumber = (v: ModelVersion) => Number(v.version);

/** urllib.parse.urlparse's scheme: letters, digits, + - . before the first ':'. */
export function uriScheme(uri: string): string {
  return /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase() ?? '';
}

export function improperModelsUri(uri: string): string {
  return `Not a proper models:/ URI: ${uri}. Models URIs must be of the form 'models:/name/suffix' or 'models:/name@alias' where suffix is a version, stage, or the string 'latest' and where alias is a registered model alias. Only one of suffix or alias can be defined at a time.`;
}

export type ParsedModelsUri =
  | { kind: 'version'; name: string; version: string }
  | { kind: 'latest'; name: string; stage: string | null }
  | { kind: 'alias'; name: string; alias: string }
  | { kind: 'model_id'; modelId: string };

/** `_parse_model_uri` (client side, so its errors carry no code prefix). */
export function parseModelsUri(uri: string): ParsedModelsUri {
  const improper = () => new MlflowError('INVALID_PARAMETER_VALUE', improperModelsUri(uri), false);
  if (uriScheme(uri) !== 'models') throw improper();
  let path = uri.slice(uri.indexOf(':') + 1).split('?')[0] ?? '';
  if (path.startsWith('//')) path = path.slice(2).replace(/^[^/]*/, ''); // a netloc is not part of the path
  if (!path.startsWith('/') || path.length <= 1) throw improper();
  const parts = path.replace(/^\/+/, '').split('/');
  const [first = '', suffix] = parts;
  if (parts.length > 2 || first.trim() === '') throw improper();
  if (suffix !== undefined) {
    if (suffix.trim() === '') throw improper();
    if (/^\d+$/.test(suffix)) return { kind: 'version', name: first, version: suffix };
    if (suffix.toLowerCase() === 'latest') return { kind: 'latest', name: first, stage: null };
    return { kind: 'latest', name: first, stage: suffix };
  }
  if (path.includes('@')) {
    const at = first.lastIndexOf('@');
    const alias = at < 0 ? '' : first.slice(at + 1);
    if (at < 0 || alias.trim() === '') throw improper();
    return { kind: 'alias', name: first.slice(0, at), alias };
  }
  return { kind: 'model_id', modelId: first };
}

export class RegistryStore {
  constructor(private readonly ctx: StoreContext) {}

  private get models(): RegisteredModel[] {
    return this.ctx.state.registered_models;
  }

  findModel(name: string): RegisteredModel | undefined {
    return this.models.find((m) => m.name === name);
  }

  getRegisteredModel(name: string): RegisteredModel {
    const model = this.findModel(name);
    if (!model) throw notFound(`Registered Model with name=${name} not found`);
    return model;
  }

  createRegisteredModel(name: string): RegisteredModel {
    validateModelName(name);
    if (this.findModel(name)) throw alreadyExists(`Registered Model (name=${name}) already exists.`);
    const now = this.ctx.now();
    const model: RegisteredModel = {
      name,
      creation_timestamp: now,
      last_updated_timestamp: now,
      description: '',
      tags: {},
      aliases: {},
      versions: [],
    };
    this.models.push(model);
    this.ctx.changed();
    return model;
  }

  /** `create_registered_model`, ignoring RESOURCE_ALREADY_EXISTS as register/copy do. */
  ensureRegisteredModel(name: string): RegisteredModel {
    try {
      return this.createRegisteredModel(name);
    } catch (error) {
      if (error instanceof MlflowError && error.errorCode === 'RESOURCE_ALREADY_EXISTS')
        return this.getRegisteredModel(name);
      throw error;
    }
  }

  /** search_registered_models(): name ASC, at most 100. */
  searchRegisteredModels(): RegisteredModel[] {
    return [...this.models].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).slice(0, 100);
  }

  /** search_model_versions(filter): live versions, last_updated DESC, name ASC, version DESC. */
  searchModelVersions(filter: string): VersionRef[] {
    const clauses = parseFilter(filter, MODEL_VERSION_DIALECT);
    const refs = this.models.flatMap((model) => model.versions.filter(isLive).map((version) => ({ model, version })));
    return refs
      .filter(({ model, version }) =>
        clauses.every((c) => {
          const lhs =
            c.type === 'tag'
              ? version.tags[c.key]
              : c.key === 'name'
                ? model.name
                : c.key === 'version'
                  ? versionNumber(version)
                  : version[c.key as 'run_id' | 'source'];
          return lhs !== undefined && compare(lhs, c.comparator, c.value);
        }),
      )
      .sort(
        (a, b) =>
          b.version.last_updated_timestamp - a.version.last_updated_timestamp ||
          (a.model.name < b.model.name ? -1 : a.model.name > b.model.name ? 1 : 0) ||
          versionNumber(b.version) - versionNumber(a.version),
      );
  }

  /** Missing model, missing version and soft-deleted version all read the same. */
  getModelVersion(name: string, version: string): VersionRef {
    const number = parseVersion(version);
    const model = this.findModel(name);
    const found = model?.versions.find((v) => versionNumber(v) === number && isLive(v));
    if (!model || !found) throw notFound(`Model Version (name=${name}, version=${number}) not found`);
    return { model, version: found };
  }

  createModelVersion(input: NewVersion): ModelVersion {
    const model = this.getRegisteredModel(input.name);
    for (const [key, value] of Object.entries(input.tags)) validateTag(key, value, 'registry');
    if (uriScheme(input.source) === '' || uriScheme(input.source) === 'file') {
      throw invalidParam(
        `Invalid model version source: '${input.source}'. To use a local path as a model version source, the run_id request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the run_id.`,
      );
    }
    const next = model.versions.reduce((max, v) => Math.max(max, versionNumber(v)), 0) + 1;
    const now = this.ctx.now();
    const version: ModelVersion = {
      version: String(next),
      creation_timestamp: now,
      last_updated_timestamp: now,
      description: input.description ?? '',
      user_id: '',
      current_stage: 'None',
      source: input.source,
      run_id: input.runId ?? '',
      run_link: input.runLink ?? '',
      status: 'READY',
      status_message: '',
      tags: { ...input.tags },
    };
    model.versions.push(version);
    model.last_updated_timestamp = now;
    this.ctx.changed();
    return version;
  }

  updateModelVersion(name: string, version: string, description: string): ModelVersion {
    const ref = this.getModelVersion(name, version);
    ref.version.description = description;
    ref.version.last_updated_timestamp = this.ctx.now();
    this.ctx.changed();
    return ref.version;
  }

  transitionStage(name: string, version: string, stage: string, archiveExisting: boolean): ModelVersion {
    const target = canonicalStage(stage);
    if (archiveExisting && target !== 'Staging' && target !== 'Production') {
      // Raised without an error code, so the server answers 500 and the client retries it away (unverified).
      throw new ArchiveNotActiveError(stage);
    }
    const ref = this.getModelVersion(name, version);
    const now = this.ctx.now();
    if (archiveExisting) {
      for (const other of ref.model.versions) {
        if (other !== ref.version && other.current_stage === target) {
          other.current_stage = 'Archived';
          other.last_updated_timestamp = now;
        }
      }
    }
    ref.version.current_stage = target;
    ref.version.last_updated_timestamp = now;
    ref.model.last_updated_timestamp = now;
    this.ctx.changed();
    return ref.version;
  }

  /** Soft delete: redacted, invisible, number kept; aliases on it are dropped. */
  deleteModelVersion(name: string, version: string): void {
    const { model, version: mv } = this.getModelVersion(name, version);
    const now = this.ctx.now();
    Object.assign(mv, {
      current_stage: DELETED_STAGE,
      last_updated_timestamp: now,
      description: '',
      user_id: '',
      source: 'REDACTED-SOURCE-PATH',
      run_id: 'REDACTED-RUN-ID',
      run_link: 'REDACTED-RUN-LINK',
      status_message: '',
    });
    for (const [alias, target] of Object.entries(model.aliases)) if (target === mv.version) delete model.aliases[alias];
    model.last_updated_timestamp = now;
    this.ctx.changed();
  }

  /** Hard delete: a model created later under the same name starts again at version 1. */
  deleteRegisteredModel(name: string): void {
    const model = this.getRegisteredModel(name);
    this.models.splice(this.models.indexOf(model), 1);
    this.ctx.changed();
  }

  setRegisteredModelTag(name: string, key: string, value: string): void {
    validateTag(key, value, 'registry');
    this.getRegisteredModel(name).tags[key] = value;
    this.ctx.changed();
  }

  /** Upsert; the alias and version checks run client-side, the version lookup server-side. */
  setAlias(name: string, alias: string, version: string): void {
    validateAliasName(alias);
    const number = parseVersionClientSide(version);
    const { model, version: mv } = this.getModelVersion(name, String(number));
    model.aliases[alias] = mv.version;
    model.last_updated_timestamp = this.ctx.now();
    this.ctx.changed();
  }

  /** Deleting an absent alias is a no-op, but the model must exist. */
  deleteAlias(name: string, alias: string): void {
    validateAliasName(alias);
    const model = this.getRegisteredModel(name);
    if (alias in model.aliases) {
      delete model.aliases[alias];
      this.ctx.changed();
    }
  }

  getVersionByAlias(name: string, alias: string): VersionRef {
    const model = this.getRegisteredModel(name);
    const version = model.aliases[alias];
    if (version === undefined) throw invalidParam(`Registered model alias ${alias} not found.`);
    return this.getModelVersion(name, version);
  }

  /** Highest live version per stage, in the order the stages are first met by ascending version. */
  latestVersions(name: string, stages: readonly string[] | null): ModelVersion[] {
    const model = this.getRegisteredModel(name);
    const wanted = new Set<Stage>(stages && stages.length > 0 ? stages.map(canonicalStage) : STAGES);
    const latest = new Map<string, ModelVersion>();
    for (const v of [...model.versions].filter(isLive).sort((a, b) => versionNumber(a) - versionNumber(b))) {
      if (wanted.has(v.current_stage as Stage)) latest.set(v.current_stage, v);
    }
    return [...latest.values()];
  }

  /** `get_model_name_and_version` for a models:/ URI naming a registered model. */
  resolveModelsUri(uri: string): VersionRef {
    const parsed = parseModelsUri(uri);
    if (parsed.kind === 'version') return this.getModelVersion(parsed.name, parsed.version);
    if (parsed.kind === 'alias') return this.getVersionByAlias(parsed.name, parsed.alias);
    if (parsed.kind === 'model_id') throw new PythonError(improperModelsUri(uri));
    const latest = this.latestVersions(parsed.name, parsed.stage === null ? null : [parsed.stage]);
    const best = latest.reduce<ModelVersion | undefined>(
      (acc, v) => (!acc || versionNumber(v) > versionNumber(acc) ? v : acc),
      undefined,
    );
    if (!best) {
      throw new PythonError(
        parsed.stage === null
          ? `No versions of model with name '${parsed.name}' found`
          : `No versions of model with name '${parsed.name}' and stage '${parsed.stage}' found`,
      );
    }
    return this.getModelVersion(parsed.name, best.version);
  }

  /** MlflowClient.copy_model_version: fetch (wrapped errors), create destination, add a version. */
  copyModelVersion(srcUri: string, dstName: string): ModelVersion {
    if (uriScheme(srcUri) !== 'models') {
      throw new PythonError(
        `Unsupported source model URI: '${srcUri}'. The \`copy_model_version\` API only copies models stored in the 'models:/' scheme.`,
      );
    }
    let src: VersionRef;
    try {
      src = this.resolveModelsUri(srcUri);
    } catch (error) {
      throw new PythonError(
        `Failed to fetch model version from source model URI: '${srcUri}'. Error: ${messageOf(error)}`,
      );
    }
    this.ensureRegisteredModel(dstName);
    try {
      return this.createModelVersion({
        name: dstName,
        source: `models:/${src.model.name}/${src.version.version}`,
        runId: src.version.run_id,
        tags: src.version.tags,
        runLink: src.version.run_link,
        description: src.version.description,
      });
    } catch (error) {
      throw new PythonError(
        `Failed to create model version copy. The current model registry backend may not yet support model version URI sources.\nError: ${messageOf(error)}`,
      );
    }
  }
}

/** Client-side `_validate_model_version` (set alias): same text, no prefix. */
function parseVersionClientSide(version: string): number {
  try {
    return parseVersion(version);
  } catch (error) {
    throw error instanceof MlflowError ? new MlflowError(error.errorCode, error.detail, false) : error;
  }
}

/** The stage error that has no MLflow error code (see transitionStage). */
export class ArchiveNotActiveError extends Error {
  constructor(stage: string) {
    super(
      `Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. Valid stages are ['Staging', 'Production']`,
    );
  }
}
