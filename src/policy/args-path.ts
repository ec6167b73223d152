/**
 * Condition paths: `args.a.b`, `args.items.0`, `args.tags[*].env` — where a condition looks in a
 * call's arguments, and what it finds there (README.md, "Conditions").
 *
 * - `.key` reads an object's own key. On an array, a decimal key (`.0`) indexes it; any other
 *   key is a shape mismatch, not "missing": an array may well hold the key in its elements, and
 *   skipping them silently would let `["prod-x"]` or `[{"env": "prod"}]` through a deny_if.
 * - `[*]` (after a key, repeatable: `args.m[*][*]`) visits every element of an array; anything
 *   but an array there (an object, a string, ...) is a shape mismatch.
 * - A key that is absent, or a step through a primitive or `null`, reaches nothing: "missing".
 *   Neither can hold the key, so nothing is being skipped.
 */

/** `args`, then `.key` steps, each may end in `[*]`s (`args[*]` too). A key cannot contain "." or "[*" (a typo of `[*]`). */
export const ARGS_PATH_PATTERN = /^args(?:\[\*\])*(?:\.(?:(?!\[\*)[^.])+(?:\[\*\])*)+$/;

export type PathStep = { readonly key: string } | { readonly each: true };

export const MISSING: unique symbol = Symbol('missing');

/** What the path reaches at one place: `at` is that place as a path without `[*]` ("args.tags.1.env"). */
export type Reached =
  { readonly at: string; readonly value: unknown } | { readonly at: string; readonly mismatch: string };

const INDEX = /^(?:0|[1-9]\d*)$/;
const EACH = '[*]';

/** A path the schema accepted (ARGS_PATH_PATTERN) → its steps below `args`. */
export function parseArgsPath(path: string): readonly PathStep[] {
  const steps: PathStep[] = [];
  const [head = '', ...keys] = path.split('.');
  for (const segment of [head, ...keys]) {
    let key = segment;
    let each = 0;
    while (key.endsWith(EACH)) {
      key = key.slice(0, -EACH.length);
      each += 1;
    }
    if (segment !== head) steps.push({ key });
    for (let i = 0; i < each; i += 1) steps.push({ each: true });
  }
  return Object.freeze(steps);
}

function render(steps: readonly PathStep[]): string {
  return 'args' + steps.map((s) => ('each' in s ? EACH : `.${s.key}`)).join('');
}

/** "an array", "a string", "null"…: a value's JSON type, for messages (never the value: it may be a secret). */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isFinite(value) ? 'a number' : 'a non-finite number';
  if (typeof value === 'boolean') return 'a boolean';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/**
 * Every place `steps` reaches in `args`, in document order; one place unless the path has `[*]`
 * (then one per element, none for an empty array). Lazy, so a caller can stop at the first
 * place that decides.
 */
export function* reach(args: unknown, steps: readonly PathStep[]): Generator<Reached> {
  yield* walk(args, steps, 0, 'args');
}

function* walk(current: unknown, steps: readonly PathStep[], index: number, at: string): Generator<Reached> {
  const step = steps[index];
  if (step === undefined || current === undefined || current === MISSING) {
    yield { at, value: current === undefined ? MISSING : current };
  } else if ('each' in step) {
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i += 1) yield* walk(current[i], steps, index + 1, `${at}.${i}`);
    } else {
      yield current === null
        ? { at, value: MISSING }
        : { at, mismatch: `${at} must be an array for ${render(steps)}, got ${describeType(current)}` };
    }
  } else if (Array.isArray(current) && !INDEX.test(step.key)) {
    const hint = render([...steps.slice(0, index), { each: true }, ...steps.slice(index)]);
    yield {
      at,
      mismatch: `${at} is an array, so ${render(steps)} cannot be looked up in it (write ${hint} to check each element)`,
    };
  } else {
    yield* walk(child(current, step.key), steps, index + 1, `${at}.${step.key}`);
  }
}

/** An array's element by index, an object's own key, or MISSING (also below primitives and null). */
function child(current: unknown, key: string): unknown {
  if (Array.isArray(current)) return Number(key) < current.length ? current[Number(key)] : MISSING;
  if (typeof current === 'object' && current !== null && Object.hasOwn(current, key))
    return (current as Record<string, unknown>)[key];
  return MISSING;
}
