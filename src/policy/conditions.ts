import { describeType, MISSING, parseArgsPath, reach, type Reached } from './args-path.js';
import { compilePolicyRegex } from './regex.js';
import type { Condition, ConditionOp } from './schema.js';

/**
 * Argument conditions (`require`, `deny_if`), compiled once per policy load.
 *
 * Semantics (see README.md, "Conditions"):
 * - Paths (args-path.ts): keys, array indexes, `[*]` for every element.
 * - On a missing path every comparison fails, and `neq` / `not_in`, being exactly the negations
 *   of `eq` / `in`, hold. A present `null` counts as missing for `exists`; for the others it is the
 *   value null, which no typed operator holds on (null carries nothing to check).
 * - No type coercion, and fail closed on shape: a value of another type than the operator checks
 *   (an array where a regex expects a string, "5" where `lt` expects a number), a path that meets
 *   an array where it needs a key, or a string too long to check, is "unchecked" — a deny_if
 *   denies and a require denies, naming the condition and what was wrong. The upstream might read
 *   `["prod-x"]` as "prod-x"; Airlock does not guess.
 * - With `[*]`: a deny_if holds if it holds for any element; a require must hold for every
 *   element. An empty array has no element: the deny_if does not hold, the require holds.
 */

/**
 * Longest string a `regex` or a substring `contains` looks at (UTF-16 code units, string.length).
 * Matching is linear, but linear in 4 MiB is still work done for the agent; a longer value is not
 * matched at all and the condition is unchecked (fails closed).
 */
export const MAX_CHECKED_STRING_LENGTH = 64 * 1024;

export type ConditionRole = 'require' | 'deny_if';

/** holds / fails: evaluated; unchecked: the arguments have a shape this condition cannot check. */
export type Outcome = 'holds' | 'fails' | 'unchecked';

export interface ConditionCheck {
  readonly outcome: Outcome;
  /** Set when the call must be denied (a require that does not hold, a deny_if that does not fail): the agent's reason. */
  readonly denial?: string;
}

export interface CompiledCondition {
  /** JSON pointer of the condition in the file, e.g. /tools/x/deny_if/0. */
  readonly id: string;
  readonly role: ConditionRole;
  readonly path: string;
  readonly op: ConditionOp;
  readonly value: unknown;
  /** "args.x matches ^a" — what holds when a deny_if denies. */
  readonly holds: string;
  /** "requires args.x to match ^a" — what was required when a require denies. */
  readonly required: string;
  check(args: unknown): ConditionCheck;
}

/** Structural equality of JSON values; no coercion. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return (
    ka.length === kb.length &&
    ka.every(
      (k) => Object.hasOwn(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    )
  );
}

/** One operator on one reached value: true/false, or why the value cannot be checked. */
type Test = (actual: unknown, at: string) => boolean | { unchecked: string };

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const show = (v: unknown) => JSON.stringify(v);

type JsonType = 'string' | 'number' | 'boolean' | 'null' | 'array' | 'object';
const TYPE_WORDS: Record<JsonType, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
  null: 'null',
  array: 'an array',
  object: 'an object',
};

function jsonType(v: unknown): JsonType | undefined {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isFinite(v) ? 'number' : undefined;
  return typeof v === 'object' ? 'object' : undefined;
}

function oneOf(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

const wrongType = (at: string, expected: string, purpose: string, actual: unknown) => ({
  unchecked: `${at} must be ${expected} to be ${purpose}, got ${describeType(actual)}`,
});

const tooLong = (at: string, purpose: string, text: string) => ({
  unchecked: `${at} is too long to be ${purpose}: ${text.length} characters, at most ${MAX_CHECKED_STRING_LENGTH} are checked`,
});

/**
 * eq / neq / in / not_in: the compared values' JSON types are the shapes the condition expects.
 * Another type (other than null, which is compared as the value it is) is unchecked: `eq "prod"`
 * against ["prod"] or `in [1, 2]` against "1". Only the top-level type is checked; nested values
 * compare structurally. A condition on null alone (`eq null`) accepts any type.
 */
function structural(values: readonly unknown[], purpose: string, negate: boolean): Test {
  const expected = new Set(values.map(jsonType).filter((t): t is JsonType => t !== undefined && t !== 'null'));
  const words = oneOf([...expected].map((t) => TYPE_WORDS[t]));
  return (v, at) => {
    const type = jsonType(v);
    if (v !== MISSING && type !== 'null' && expected.size > 0 && (type === undefined || !expected.has(type)))
      return wrongType(at, words, purpose, v);
    const found = v !== MISSING && values.some((x) => jsonEqual(v, x));
    return negate ? !found : found;
  };
}

function ordered(condition: Extract<Condition, { op: 'lt' | 'lte' | 'gt' | 'gte' }>): Test {
  const bound = condition.value;
  const compare = {
    lt: (v: number) => v < bound,
    lte: (v: number) => v <= bound,
    gt: (v: number) => v > bound,
    gte: (v: number) => v >= bound,
  }[condition.op];
  return (v, at) =>
    v === MISSING || v === null
      ? false
      : isNumber(v)
        ? compare(v)
        : wrongType(at, 'a number', `compared with ${bound}`, v);
}

function operator(condition: Condition): Test {
  switch (condition.op) {
    case 'eq':
      return structural([condition.value], `compared with ${show(condition.value)}`, false);
    case 'neq':
      return structural([condition.value], `compared with ${show(condition.value)}`, true);
    case 'in':
      return structural(condition.value, `compared with ${show(condition.value)}`, false);
    case 'not_in':
      return structural(condition.value, `compared with ${show(condition.value)}`, true);
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      return ordered(condition);
    case 'regex': {
      const pattern = compilePolicyRegex(condition.value);
      const purpose = `checked against ${condition.value}`;
      return (v, at) => {
        if (v === MISSING || v === null) return false;
        if (typeof v !== 'string') return wrongType(at, 'a string', purpose, v);
        return v.length > MAX_CHECKED_STRING_LENGTH ? tooLong(at, purpose, v) : pattern.test(v);
      };
    }
    case 'contains': {
      // A string needle: a substring of a string, or an element of an array. Any other needle: an element of an array.
      const needle = condition.value;
      const purpose = `searched for ${show(needle)}`;
      const expected = typeof needle === 'string' ? 'a string or an array' : 'an array';
      return (v, at) => {
        if (v === MISSING || v === null) return false;
        if (Array.isArray(v)) return v.some((x) => jsonEqual(x, needle));
        if (typeof v !== 'string' || typeof needle !== 'string') return wrongType(at, expected, purpose, v);
        return v.length > MAX_CHECKED_STRING_LENGTH ? tooLong(at, purpose, v) : v.includes(needle);
      };
    }
    case 'exists': {
      const wanted = condition.value;
      return (v) => (v !== MISSING && v !== null) === wanted;
    }
  }
}

/** [third person, infinitive] phrasing of a condition, for denial reasons. */
function phrases(c: Condition): [string, string] {
  switch (c.op) {
    case 'eq':
      return [`equals ${show(c.value)}`, `to equal ${show(c.value)}`];
    case 'neq':
      return [`does not equal ${show(c.value)}`, `not to equal ${show(c.value)}`];
    case 'in':
      return [`is one of ${show(c.value)}`, `to be one of ${show(c.value)}`];
    case 'not_in':
      return [`is not one of ${show(c.value)}`, `not to be one of ${show(c.value)}`];
    case 'lt':
      return [`is less than ${c.value}`, `to be a number less than ${c.value}`];
    case 'lte':
      return [`is at most ${c.value}`, `to be a number at most ${c.value}`];
    case 'gt':
      return [`is greater than ${c.value}`, `to be a number greater than ${c.value}`];
    case 'gte':
      return [`is at least ${c.value}`, `to be a number at least ${c.value}`];
    case 'regex':
      return [`matches ${c.value}`, `to match ${c.value}`];
    case 'contains':
      return [`contains ${show(c.value)}`, `to contain ${show(c.value)}`];
    case 'exists':
      return c.value ? ['exists', 'to exist'] : ['is absent', 'to be absent'];
  }
}

export function compileCondition(condition: Condition, id: string, role: ConditionRole): CompiledCondition {
  const steps = parseArgsPath(condition.path);
  const spread = steps.some((s) => 'each' in s);
  const test = operator(condition);
  const [third, infinitive] = phrases(condition);
  const holds = `${condition.path} ${third}`;
  const required = `requires ${condition.path} ${infinitive}`;
  // What a place contributes when it does not decide: a require goes on holding, a deny_if goes on failing.
  const passing: Outcome = role === 'require' ? 'holds' : 'fails';
  const where = (place: Reached) => (spread ? ` (at ${place.at})` : '');

  const check = (args: unknown): ConditionCheck => {
    for (const place of reach(args, steps)) {
      const result = 'mismatch' in place ? { unchecked: place.mismatch } : test(place.value, place.at);
      const outcome: Outcome = typeof result === 'object' ? 'unchecked' : result ? 'holds' : 'fails';
      if (outcome === passing) continue;
      const denial =
        typeof result === 'object' ? result.unchecked : (role === 'require' ? required : holds) + where(place);
      return { outcome, denial };
    }
    return { outcome: passing };
  };

  return Object.freeze({
    id,
    role,
    path: condition.path,
    op: condition.op,
    value: condition.value,
    holds,
    required,
    check,
  });
}
