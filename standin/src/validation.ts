/**
 * MLflow's input validation (mlflow/utils/validation.py and the registry's stage/alias rules),
 * with its messages. Which side raises decides the prefix: tracking-server checks read
 * "INVALID_PARAMETER_VALUE: …", client-side checks (alias names) have no prefix.
 */
import { clientInvalidParam, invalidParam } from './errors.js';
import { STAGES, type Stage } from './store-schema.js';

const TAG_NAME = /^[/\p{L}\p{N}\p{M}_.\- :]*$/u;
const BAD_CHARACTERS =
  'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).';

/** posixpath.normpath */
function normpath(path: string): string {
  if (path === '') return '.';
  const initialSlashes = path.startsWith('//') && !path.startsWith('///') ? 2 : path.startsWith('/') ? 1 : 0;
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..' || (initialSlashes === 0 && parts.length === 0) || parts.at(-1) === '..') parts.push(part);
    else if (parts.length > 0) parts.pop();
  }
  const joined = '/'.repeat(initialSlashes) + parts.join('/');
  return joined === '' ? '.' : joined;
}

function pathNotUnique(name: string): boolean {
  const norm = normpath(name);
  return norm !== name || norm === '.' || norm.startsWith('..') || norm.startsWith('/');
}

/** `invalid_value`: the value is json.dumps'ed into the message. */
const invalidValue = (path: string, value: string, message: string) =>
  invalidParam(`Invalid value ${JSON.stringify(value)} for parameter '${path}' supplied: ${message}`);

function checkLength(entityName: string, limit: number, value: string): void {
  const length = [...value].length;
  if (length > limit) {
    throw invalidParam(
      `${entityName} '${[...value].slice(0, 250).join('')}' had length ${length}, which exceeded length limit of ${limit}`,
    );
  }
}

/** Tracking tags allow 8000-character values, registry tags 5000. */
export function validateTag(key: string, value: string, entity: 'run' | 'experiment' | 'registry'): void {
  if (key === '') {
    throw invalidParam(
      "Missing value for required parameter 'key'. See the API docs for more information about request parameters.",
    );
  }
  if (!TAG_NAME.test(key)) throw invalidValue('key', key, BAD_CHARACTERS);
  if (pathNotUnique(key)) {
    throw invalidValue(
      'key',
      key,
      `Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${normpath(key)}'`,
    );
  }
  if (entity === 'registry') {
    checkLength('key', 250, key);
    checkLength('value', 5000, value);
  } else {
    checkLength('Tag key', 250, key);
    checkLength('Tag value', 8000, value);
  }
}

/** `_validate_model_version`: versions must be integers, as Python's int() reads them. */
export function parseVersion(version: string): number {
  const m = /^\s*([+-]?\d+)\s*$/.exec(version);
  if (!m?.[1]) throw invalidParam(`Parameter 'version' must be an integer, got '${version}'.`);
  return Number(m[1]);
}

/** Client-side `_validate_model_alias_name` (no error-code prefix). */
export function validateAliasName(alias: string): void {
  if (alias === '') throw clientInvalidParam('Registered model alias name cannot be empty.');
  // Python's `$` also matches before a trailing newline.
  if (!/^[\p{L}\p{N}\p{M}_-]*\n?$/u.test(alias)) {
    throw clientInvalidParam(
      `Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`,
    );
  }
  const length = [...alias].length;
  if (length > 255) {
    throw clientInvalidParam(
      `Registered model alias name '${[...alias].slice(0, 250).join('')}' had length ${length}, which exceeded length limit of 255`,
    );
  }
  if (alias.toLowerCase() === 'latest') throw clientInvalidParam("'latest' alias name (case insensitive) is reserved.");
  if (/^[vV]\d+$/.test(alias)) throw clientInvalidParam(`Version alias name '${alias}' is reserved.`);
}

/** `get_canonical_stage`: case-insensitive, returned in canonical spelling. */
export function canonicalStage(stage: string): Stage {
  const found = STAGES.find((s) => s.toLowerCase() === stage.toLowerCase());
  if (!found) throw invalidParam(`Invalid Model Version stage: ${stage}. Value must be one of ${STAGES.join(', ')}.`);
  return found;
}

export function validateModelName(name: string): void {
  if (name === '') throw invalidParam('Registered model name cannot be empty.');
}
