/**
 * Argument handling as FastMCP 1.x does it: no JSON Schema check, but `pre_parse_json` followed by
 * a lax-mode pydantic model, whose ValidationError text the client sees. The parameter types are
 * read off the published inputSchema, so the catalog stays the single source of truth.
 */
import type { ParamSchema } from './catalog.js';
import { pyRepr, pyTypeName } from './python-format.js';

/** The pydantic release whose docs URL the messages cite (pydantic 2.13 built the schemas). */
export const PYDANTIC_DOCS_VERSION = '2.13';

type Loc = (string | number)[];
interface Issue {
  loc: Loc;
  type: string;
  msg: string;
  input: unknown;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `Optional[X]` is a nullable X in pydantic, so its errors are X's errors. */
function nullableInner(schema: ParamSchema): ParamSchema | undefined {
  const [first, second] = schema.anyOf ?? [];
  if (schema.anyOf?.length === 2 && second?.type === 'null') return first;
  return undefined;
}

/** pydantic-core parses int from str after trimming whitespace and a "+" sign, with ".0…" allowed. */
function parseIntString(s: string): number | undefined {
  const m = /^\s*([+-]?\d+)(?:\.0*)?\s*$/.exec(s);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

const TRUE_STRINGS = new Set(['1', 'on', 't', 'true', 'y', 'yes']);
const FALSE_STRINGS = new Set(['0', 'off', 'f', 'false', 'n', 'no']);

function validate(schema: ParamSchema, value: unknown, loc: Loc, issues: Issue[]): unknown {
  const inner = nullableInner(schema);
  if (inner) return value === null ? null : validate(inner, value, loc, issues);
  const fail = (type: string, msg: string): undefined => {
    issues.push({ loc, type, msg, input: value });
    return undefined;
  };
  switch (schema.type) {
    case 'string':
      return typeof value === 'string' ? value : fail('string_type', 'Input should be a valid string');
    case 'integer': {
      if (typeof value === 'boolean') return value ? 1 : 0;
      if (typeof value === 'number') {
        return Number.isInteger(value)
          ? value
          : fail('int_from_float', 'Input should be a valid integer, got a number with a fractional part');
      }
      if (typeof value === 'string') {
        return (
          parseIntString(value) ??
          fail('int_parsing', 'Input should be a valid integer, unable to parse string as an integer')
        );
      }
      return fail('int_type', 'Input should be a valid integer');
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      if (value === 0 || value === 1) return value === 1;
      const text = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
      if (text !== undefined && TRUE_STRINGS.has(text)) return true;
      if (text !== undefined && FALSE_STRINGS.has(text)) return false;
      if (typeof value === 'string' || typeof value === 'number') {
        return fail('bool_parsing', 'Input should be a valid boolean, unable to interpret input');
      }
      return fail('bool_type', 'Input should be a valid boolean');
    }
    case 'array': {
      if (!Array.isArray(value)) return fail('list_type', 'Input should be a valid list');
      const items = schema.items;
      return items ? value.map((item, i) => validate(items, item, [...loc, i], issues)) : value;
    }
    case 'object':
      return isPlainObject(value) ? value : fail('dict_type', 'Input should be a valid dictionary');
    default:
      return value;
  }
}

/**
 * pydantic-core's `truncate_input_value!`: a repr longer than 50 bytes keeps its first 25 and
 * last 24 bytes (moved to UTF-8 character boundaries) around "...".
 */
function truncateRepr(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= 50) return text;
  const isBoundary = (i: number) => i >= bytes.length || ((bytes[i] ?? 0) & 0xc0) !== 0x80;
  let head = 25;
  while (!isBoundary(head)) head -= 1;
  let tail = bytes.length - 24;
  while (!isBoundary(tail)) tail += 1;
  return `${bytes.subarray(0, head).toString('utf8')}...${bytes.subarray(tail).toString('utf8')}`;
}

/** The `str(ValidationError)` text. */
export function formatValidationError(title: string, issues: readonly Issue[]): string {
  const head = `${issues.length} validation error${issues.length === 1 ? '' : 's'} for ${title}`;
  const lines = issues.map((issue) =>
    [
      issue.loc.join('.'),
      `  ${issue.msg} [type=${issue.type}, input_value=${truncateRepr(pyRepr(issue.input))}, input_type=${pyTypeName(issue.input)}]`,
      `    For further information visit https://errors.pydantic.dev/${PYDANTIC_DOCS_VERSION}/v/${issue.type}`,
    ].join('\n'),
  );
  return [head, ...lines].join('\n');
}

/**
 * FastMCP's `pre_parse_json`: a string given for a parameter not annotated plain `str` is
 * JSON-decoded, unless it decodes to a str/int/float/bool (so "5" and "true" stay strings for
 * pydantic's own coercion, while "null", "[…]" and "{…}" become values).
 */
function preParseJson(schema: ParamSchema, value: unknown): unknown {
  if (typeof value !== 'string' || schema.type === 'string') return value;
  let decoded: unknown;
  try {
    decoded = JSON.parse(value);
  } catch {
    return value;
  }
  return typeof decoded === 'string' || typeof decoded === 'number' || typeof decoded === 'boolean' ? value : decoded;
}

export interface ArgumentSpec {
  title: string;
  properties: Record<string, ParamSchema>;
  required: readonly string[];
  /** Tools pre-parse JSON strings; prompts (validate_call) do not, and reject unknown keywords. */
  mode: 'tool' | 'prompt';
}

export type ArgumentsOutcome = { ok: true; values: Args } | { ok: false; message: string };

export function parseArguments(spec: ArgumentSpec, raw: Record<string, unknown>): ArgumentsOutcome {
  const input: Record<string, unknown> = { ...raw };
  if (spec.mode === 'tool') {
    for (const [key, schema] of Object.entries(spec.properties)) {
      if (key in input) input[key] = preParseJson(schema, input[key]);
    }
  }
  const issues: Issue[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(spec.properties)) {
    if (key in input) values[key] = validate(schema, input[key], [key], issues);
    else if (spec.required.includes(key)) issues.push({ loc: [key], type: 'missing', msg: 'Field required', input });
    else values[key] = schema.default ?? null;
  }
  if (spec.mode === 'prompt') {
    for (const key of Object.keys(input)) {
      if (!(key in spec.properties)) {
        issues.push({
          loc: [key],
          type: 'unexpected_keyword_argument',
          msg: 'Unexpected keyword argument',
          input: input[key],
        });
      }
    }
  }
  if (issues.length > 0) return { ok: false, message: formatValidationError(spec.title, issues) };
  return { ok: true, values: new Args(values) };
}

/** Typed read access to validated arguments; a mismatch here is a bug in the stand-in. */
export class Args {
  constructor(readonly values: Readonly<Record<string, unknown>>) {}

  private get(name: string, ok: (v: unknown) => boolean, what: string): unknown {
    const value = this.values[name];
    if (!ok(value)) throw new Error(`stand-in bug: argument ${name} is not ${what}`);
    return value;
  }

  str(name: string): string {
    return this.get(name, (v) => typeof v === 'string', 'a string') as string;
  }
  optStr(name: string): string | null {
    return this.get(name, (v) => v === null || typeof v === 'string', 'a string or null') as string | null;
  }
  int(name: string): number {
    return this.get(name, (v) => typeof v === 'number', 'an int') as number;
  }
  bool(name: string): boolean {
    return this.get(name, (v) => typeof v === 'boolean', 'a bool') as boolean;
  }
  strList(name: string): string[] {
    return this.get(name, (v) => Array.isArray(v), 'a list') as string[];
  }
  optStrList(name: string): string[] | null {
    return this.get(name, (v) => v === null || Array.isArray(v), 'a list or null') as string[] | null;
  }
  dict(name: string): Record<string, unknown> {
    return this.get(name, isPlainObject, 'a dict') as Record<string, unknown>;
  }
  optDict(name: string): Record<string, unknown> | null {
    return this.get(name, (v) => v === null || isPlainObject(v), 'a dict or null') as Record<string, unknown> | null;
  }
  optDictList(name: string): Record<string, unknown>[] | null {
    return this.get(name, (v) => v === null || Array.isArray(v), 'a list or null') as Record<string, unknown>[] | null;
  }
}
