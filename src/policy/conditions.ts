import type { Condition, ConditionOp } from './schema.js';

/**
 * Argument conditions (`require`, `deny_if`), compiled once per policy load.
 *
 * Semantics (see README.md, "Conditions"):
 * - A path walks objects by key and arrays by a decimal index; anything else is "missing".
 *   A present `null` counts as missing for `exists`, and as the value null for the others.
 * - On a missing path every comparison is false, and `neq` / `not_in`, being exactly the
 *   negations of `eq` / `in`, are true.
 * - No type coercion: `lt`…`gte` hold only for numbers, `regex` only for strings, `eq 1` does not
 *   match "1".
 */
export interface CompiledCondition {
  /** JSON pointer of the condition in the file, e.g. /tools/x/deny_if/0. */
  readonly id: string;
  readonly path: string;
  readonly op: ConditionOp;
  readonly value: unknown;
  /** "args.x matches ^a" — what holds when a deny_if denies. */
  readonly holds: string;
  /** "args.x to match ^a" — what was required when a require denies. */
  readonly required: string;
  test(args: unknown): boolean;
}

const MISSING = Symbol('missing');
const INDEX = /^(?:0|[1-9]\d*)$/;

function lookup(args: unknown, segments: readonly string[]): unknown {
  let current: unknown = args;
  for (const segment of segments) {
    if (Array.isArray(current)) {
      if (!INDEX.test(segment) || Number(segment) >= current.length) return MISSING;
      current = current[Number(segment)];
    } else if (typeof current === 'object' && current !== null && Object.hasOwn(current, segment)) {
      current = (current as Record<string, unknown>)[segment];
    } else {
      return MISSING;
    }
  }
  return current === undefined ? MISSING : current;
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
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

type Test = (actual: unknown) => boolean;

function predicate(condition: Condition): Test {
  const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  switch (condition.op) {
    case 'eq': return (v) => v !== MISSING && jsonEqual(v, condition.value);
    case 'neq': return (v) => v === MISSING || !jsonEqual(v, condition.value);
    case 'in': return (v) => v !== MISSING && condition.value.some((x) => jsonEqual(v, x));
    case 'not_in': return (v) => v === MISSING || !condition.value.some((x) => jsonEqual(v, x));
    case 'lt': return (v) => isNumber(v) && v < condition.value;
    case 'lte': return (v) => isNumber(v) && v <= condition.value;
    case 'gt': return (v) => isNumber(v) && v > condition.value;
    case 'gte': return (v) => isNumber(v) && v >= condition.value;
    case 'regex': {
      const pattern = new RegExp(condition.value);
      return (v) => typeof v === 'string' && pattern.test(v);
    }
    case 'contains': {
      const needle = condition.value;
      return (v) =>
        (typeof v === 'string' && typeof needle === 'string' && v.includes(needle)) ||
        (Array.isArray(v) && v.some((x) => jsonEqual(x, needle)));
    }
    case 'exists': {
      const wanted = condition.value;
      return (v) => (v !== MISSING && v !== null) === wanted;
    }
  }
}

const show = (v: unknown) => JSON.stringify(v);

/** [third person, infinitive] phrasing of a condition, for denial reasons. */
function phrases(c: Condition): [string, string] {
  switch (c.op) {
    case 'eq': return [`equals ${show(c.value)}`, `to equal ${show(c.value)}`];
    case 'neq': return [`does not equal ${show(c.value)}`, `not to equal ${show(c.value)}`];
    case 'in': return [`is one of ${show(c.value)}`, `to be one of ${show(c.value)}`];
    case 'not_in': return [`is not one of ${show(c.value)}`, `not to be one of ${show(c.value)}`];
    case 'lt': return [`is less than ${c.value}`, `to be a number less than ${c.value}`];
    case 'lte': return [`is at most ${c.value}`, `to be a number at most ${c.value}`];
    case 'gt': return [`is greater than ${c.value}`, `to be a number greater than ${c.value}`];
    case 'gte': return [`is at least ${c.value}`, `to be a number at least ${c.value}`];
    case 'regex': return [`matches ${c.value}`, `to match ${c.value}`];
    case 'contains': return [`contains ${show(c.value)}`, `to contain ${show(c.value)}`];
    case 'exists': return c.value ? ['exists', 'to exist'] : ['is absent', 'to be absent'];
  }
}

export function compileCondition(condition: Condition, id: string): CompiledCondition {
  const segments = condition.path.split('.').slice(1);
  const test = predicate(condition);
  const [holds, required] = phrases(condition);
  return Object.freeze({
    id,
    path: condition.path,
    op: condition.op,
    value: condition.value,
    holds: `${condition.path} ${holds}`,
    required: `requires ${condition.path} ${required}`,
    test: (args: unknown) => test(lookup(args, segments)),
  });
}
