import { describe, expect, it } from 'vitest';
import { compileCondition, jsonEqual, MAX_CHECKED_STRING_LENGTH, type ConditionRole } from './conditions.js';
import { ConditionSchema } from './schema.js';

const compile = (condition: object, role: ConditionRole = 'deny_if') =>
  compileCondition(ConditionSchema.parse(condition), '/c', role);
/** holds / fails / unchecked (the arguments have a shape the condition cannot check: it denies). */
const outcome = (condition: object, args: unknown, role?: ConditionRole) =>
  compile(condition, role).check(args).outcome;
const holds = (condition: object, args: unknown) => outcome(condition, args) === 'holds';
/** The reason the agent reads when the condition denies, or undefined when it lets the call through. */
const denial = (condition: object, args: unknown, role?: ConditionRole) => compile(condition, role).check(args).denial;

describe('compileCondition', () => {
  describe('paths', () => {
    it('walks nested objects', () => {
      expect(holds({ path: 'args.a.b.c', op: 'eq', value: 1 }, { a: { b: { c: 1 } } })).toBe(true);
    });

    it('indexes arrays with a number segment', () => {
      expect(
        holds({ path: 'args.items.1.name', op: 'eq', value: 'b' }, { items: [{ name: 'a' }, { name: 'b' }] }),
      ).toBe(true);
      expect(holds({ path: 'args.items.2', op: 'exists' }, { items: [1, 2] })).toBe(false);
    });

    it('treats a key that is no index, on an array, as a shape mismatch (not missing): it denies either way', () => {
      // Was "missing" (a deny_if silently did not hold): an array can hold the key in its elements.
      expect(outcome({ path: 'args.items.01', op: 'exists' }, { items: [1, 2] })).toBe('unchecked');
      expect(outcome({ path: 'args.items.length', op: 'exists' }, { items: [1, 2] })).toBe('unchecked');
    });

    it('reads a number segment on an object as a key', () => {
      expect(holds({ path: 'args.m.0', op: 'eq', value: 'x' }, { m: { 0: 'x' } })).toBe(true);
    });

    it('finds nothing through primitives, null or inherited properties', () => {
      expect(holds({ path: 'args.a.b', op: 'exists' }, { a: 'string' })).toBe(false);
      expect(holds({ path: 'args.a.b', op: 'exists' }, { a: null })).toBe(false);
      expect(holds({ path: 'args.toString', op: 'exists' }, {})).toBe(false);
      expect(holds({ path: 'args.a', op: 'exists' }, null)).toBe(false);
    });
  });

  describe('eq / neq', () => {
    it('compares JSON values structurally without coercion', () => {
      expect(holds({ path: 'args.x', op: 'eq', value: 'prod' }, { x: 'prod' })).toBe(true);
      expect(holds({ path: 'args.x', op: 'eq', value: 1 }, { x: '1' })).toBe(false);
      expect(outcome({ path: 'args.x', op: 'eq', value: 1 }, { x: '1' })).toBe('unchecked');
      expect(holds({ path: 'args.x', op: 'eq', value: { a: [1, 2] } }, { x: { a: [1, 2] } })).toBe(true);
      expect(holds({ path: 'args.x', op: 'eq', value: null }, { x: null })).toBe(true);
    });

    it('makes eq false and neq true on a missing path', () => {
      expect(holds({ path: 'args.x', op: 'eq', value: null }, {})).toBe(false);
      expect(holds({ path: 'args.x', op: 'neq', value: 'prod' }, {})).toBe(true);
      expect(holds({ path: 'args.x', op: 'neq', value: 'prod' }, { x: 'prod' })).toBe(false);
      expect(holds({ path: 'args.x', op: 'neq', value: 'prod' }, { x: 'dev' })).toBe(true);
    });
  });

  describe('in / not_in', () => {
    it('tests membership with structural equality', () => {
      expect(holds({ path: 'args.stage', op: 'in', value: ['Staging', 'Production'] }, { stage: 'Staging' })).toBe(
        true,
      );
      expect(holds({ path: 'args.stage', op: 'in', value: ['Staging'] }, { stage: 'staging' })).toBe(false);
      expect(holds({ path: 'args.n', op: 'in', value: [1, 2] }, { n: '1' })).toBe(false);
      expect(outcome({ path: 'args.n', op: 'in', value: [1, 2] }, { n: '1' })).toBe('unchecked');
    });

    it('makes in false and not_in true on a missing path', () => {
      expect(holds({ path: 'args.stage', op: 'in', value: ['Staging'] }, {})).toBe(false);
      expect(holds({ path: 'args.stage', op: 'not_in', value: ['Archived'] }, {})).toBe(true);
      expect(holds({ path: 'args.stage', op: 'not_in', value: ['Archived'] }, { stage: 'Archived' })).toBe(false);
    });
  });

  describe('lt / lte / gt / gte', () => {
    it('compares numbers at and around the bound', () => {
      const at = (op: string, x: number) => holds({ path: 'args.n', op, value: 10 }, { n: x });
      expect([at('lt', 9), at('lt', 10), at('lte', 10), at('lte', 11)]).toEqual([true, false, true, false]);
      expect([at('gt', 11), at('gt', 10), at('gte', 10), at('gte', 9)]).toEqual([true, false, true, false]);
    });

    it('fails on missing paths and null', () => {
      for (const n of [null, undefined]) expect(outcome({ path: 'args.n', op: 'lt', value: 10 }, { n })).toBe('fails');
      expect(outcome({ path: 'args.n', op: 'gte', value: 0 }, {})).toBe('fails');
    });

    it('cannot check numeric strings and other types (no coercion): denies, as a deny_if and as a require', () => {
      // Was "false": a deny_if `gt 10000` let {"amount": "20000"} through.
      for (const n of ['5', true, [5], { n: 5 }])
        expect(outcome({ path: 'args.n', op: 'lt', value: 10 }, { n }), JSON.stringify(n)).toBe('unchecked');
      expect(denial({ path: 'args.amount', op: 'gt', value: 10_000 }, { amount: '20000' })).toBe(
        'args.amount must be a number to be compared with 10000, got a string',
      );
      expect(denial({ path: 'args.amount', op: 'lte', value: 100 }, { amount: '5' }, 'require')).toBe(
        'args.amount must be a number to be compared with 100, got a string',
      );
    });
  });

  describe('regex', () => {
    it('matches strings, unanchored unless the pattern anchors itself', () => {
      expect(holds({ path: 'args.m', op: 'regex', value: 'legacy' }, { m: 'prod-x-legacy-2' })).toBe(true);
      expect(holds({ path: 'args.m', op: 'regex', value: '^prod-.*-legacy$' }, { m: 'prod-x-legacy-2' })).toBe(false);
    });

    it('fails on missing paths and null', () => {
      expect(outcome({ path: 'args.m', op: 'regex', value: '.*' }, {})).toBe('fails');
      expect(outcome({ path: 'args.m', op: 'regex', value: '.*' }, { m: null })).toBe('fails');
    });

    it('cannot check a non-string: a deny_if and a require both deny, saying why', () => {
      // Was "false": a deny_if on ^prod- let ["prod-x"] through.
      expect(outcome({ path: 'args.m', op: 'regex', value: '^1$' }, { m: 1 })).toBe('unchecked');
      const c = { path: 'args.dst_model_name', op: 'regex', value: '^prod-' };
      expect(compile(c, 'deny_if').check({ dst_model_name: ['prod-x'] })).toEqual({
        outcome: 'unchecked',
        denial: 'args.dst_model_name must be a string to be checked against ^prod-, got an array',
      });
      expect(denial(c, { dst_model_name: ['prod-x'] }, 'require')).toBe(
        'args.dst_model_name must be a string to be checked against ^prod-, got an array',
      );
      expect(denial(c, { dst_model_name: { name: 'prod-x' } })).toMatch(/got an object$/);
    });

    it('matches with RE2 in linear time: a catastrophic backtracking pattern answers at once', () => {
      const c = compile({ path: 'args.name', op: 'regex', value: '^(a+)+$' });
      const started = performance.now();
      expect(c.check({ name: `${'a'.repeat(49)}!` }).outcome).toBe('fails');
      expect(c.check({ name: `${'a'.repeat(MAX_CHECKED_STRING_LENGTH - 1)}!` }).outcome).toBe('fails');
      expect(c.check({ name: 'a'.repeat(49) }).outcome).toBe('holds');
      // JavaScript's RegExp needs minutes for the first of these; RE2 a few milliseconds for all three.
      expect(performance.now() - started).toBeLessThan(1_000);
    });

    it('keeps RE2 semantics: unanchored search, inline flags, Unicode', () => {
      expect(holds({ path: 'args.m', op: 'regex', value: '(?i)legacy' }, { m: 'prod-LEGACY' })).toBe(true);
      expect(holds({ path: 'args.m', op: 'regex', value: '^.$' }, { m: '😀' })).toBe(true);
      expect(holds({ path: 'args.m', op: 'regex', value: 'b$' }, { m: 'ab\n' })).toBe(false);
    });

    it(`does not match a string longer than ${MAX_CHECKED_STRING_LENGTH} characters: it denies, naming the length`, () => {
      const c = { path: 'args.note', op: 'regex', value: 'secret' };
      expect(outcome(c, { note: 'x'.repeat(MAX_CHECKED_STRING_LENGTH) })).toBe('fails');
      expect(outcome(c, { note: 'x'.repeat(MAX_CHECKED_STRING_LENGTH + 1) }, 'deny_if')).toBe('unchecked');
      expect(denial(c, { note: 'x'.repeat(MAX_CHECKED_STRING_LENGTH + 1) }, 'require')).toBe(
        `args.note is too long to be checked against secret: ${MAX_CHECKED_STRING_LENGTH + 1} characters, at most ${MAX_CHECKED_STRING_LENGTH} are checked`,
      );
    });
  });

  describe('contains', () => {
    it('finds a substring in a string', () => {
      expect(holds({ path: 'args.q', op: 'contains', value: 'DROP' }, { q: 'x; DROP TABLE' })).toBe(true);
      expect(holds({ path: 'args.q', op: 'contains', value: 'drop' }, { q: 'x; DROP TABLE' })).toBe(false);
    });

    it('finds an element in an array, structurally', () => {
      expect(
        holds({ path: 'args.stages', op: 'contains', value: 'Production' }, { stages: ['Staging', 'Production'] }),
      ).toBe(true);
      expect(holds({ path: 'args.ids', op: 'contains', value: { id: 1 } }, { ids: [{ id: 1 }] })).toBe(true);
      expect(holds({ path: 'args.ids', op: 'contains', value: 1 }, { ids: ['1'] })).toBe(false);
    });

    it('fails on missing paths and null', () => {
      expect(outcome({ path: 'args.q', op: 'contains', value: 'a' }, {})).toBe('fails');
      expect(outcome({ path: 'args.q', op: 'contains', value: 'a' }, { q: null })).toBe('fails');
    });

    it('cannot check other types: a string needle needs a string or an array, any other needle an array', () => {
      // Was "false": a deny_if let {"q": {"a": 1}} through a contains "a".
      expect(denial({ path: 'args.q', op: 'contains', value: '1' }, { q: 123 })).toBe(
        'args.q must be a string or an array to be searched for "1", got a number',
      );
      expect(outcome({ path: 'args.q', op: 'contains', value: 'a' }, { q: { a: 1 } })).toBe('unchecked');
      expect(denial({ path: 'args.ids', op: 'contains', value: { id: 1 } }, { ids: '{"id":1}' }, 'require')).toBe(
        'args.ids must be an array to be searched for {"id":1}, got a string',
      );
    });

    it(`does not search a string longer than ${MAX_CHECKED_STRING_LENGTH} characters, but compares array elements of any length`, () => {
      const long = 'x'.repeat(MAX_CHECKED_STRING_LENGTH + 1);
      expect(denial({ path: 'args.q', op: 'contains', value: 'DROP' }, { q: long })).toMatch(
        /^args\.q is too long to be searched for "DROP": 65537 characters/,
      );
      expect(outcome({ path: 'args.q', op: 'contains', value: 'DROP' }, { q: [long, 'DROP'] })).toBe('holds');
    });
  });

  describe('exists', () => {
    it('holds for any present non-null value, including empty and false ones', () => {
      for (const x of ['', 0, false, [], {}]) expect(holds({ path: 'args.x', op: 'exists' }, { x })).toBe(true);
    });

    it('treats null like a missing value', () => {
      expect(holds({ path: 'args.x', op: 'exists' }, { x: null })).toBe(false);
      expect(holds({ path: 'args.x', op: 'exists', value: false }, { x: null })).toBe(true);
      expect(holds({ path: 'args.x', op: 'exists', value: false }, {})).toBe(true);
      expect(holds({ path: 'args.x', op: 'exists', value: false }, { x: 1 })).toBe(false);
    });
  });

  it('names the condition for denial reasons', () => {
    const c = compileCondition(
      ConditionSchema.parse({ path: 'args.stage', op: 'in', value: ['a', 'b'] }),
      '/tools/t/require/0',
      'require',
    );
    expect(c).toMatchObject({
      id: '/tools/t/require/0',
      holds: 'args.stage is one of ["a","b"]',
      required: 'requires args.stage to be one of ["a","b"]',
    });
    expect(c.check({ stage: 'c' })).toEqual({ outcome: 'fails', denial: 'requires args.stage to be one of ["a","b"]' });
    expect(c.check({ stage: 'a' })).toEqual({ outcome: 'holds' });
  });
});

describe('shape: conditions fail closed', () => {
  describe('eq / neq / in / not_in expect the JSON types of their values', () => {
    it('cannot check a value of another type: eq and neq alike deny', () => {
      for (const op of ['eq', 'neq']) {
        for (const role of ['deny_if', 'require'] as const) {
          expect(denial({ path: 'args.env', op, value: 'prod' }, { env: ['prod'] }, role), `${op} ${role}`).toBe(
            'args.env must be a string to be compared with "prod", got an array',
          );
        }
      }
      expect(outcome({ path: 'args.opts', op: 'eq', value: { a: 1 } }, { opts: [{ a: 1 }] })).toBe('unchecked');
      expect(outcome({ path: 'args.ok', op: 'eq', value: true }, { ok: 'true' })).toBe('unchecked');
    });

    it('expects any of the types an in / not_in list holds', () => {
      expect(denial({ path: 'args.x', op: 'in', value: [1, 'a', [2]] }, { x: true })).toBe(
        'args.x must be a number, a string or an array to be compared with [1,"a",[2]], got a boolean',
      );
      expect(outcome({ path: 'args.x', op: 'in', value: [1, 'a'] }, { x: 'a' })).toBe('holds');
      expect(outcome({ path: 'args.x', op: 'not_in', value: [1, 'a'] }, { x: 2 })).toBe('holds');
      expect(outcome({ path: 'args.x', op: 'not_in', value: ['a'] }, { x: 2 }, 'require')).toBe('unchecked');
    });

    it('compares null as the value it is, never as a mismatch: null carries nothing to check', () => {
      expect(outcome({ path: 'args.env', op: 'eq', value: 'prod' }, { env: null })).toBe('fails');
      expect(outcome({ path: 'args.env', op: 'neq', value: 'prod' }, { env: null })).toBe('holds');
      expect(outcome({ path: 'args.env', op: 'in', value: ['prod', null] }, { env: null })).toBe('holds');
      // A condition on null alone accepts any type.
      expect(outcome({ path: 'args.env', op: 'eq', value: null }, { env: 'prod' })).toBe('fails');
      expect(outcome({ path: 'args.env', op: 'neq', value: null }, { env: ['x'] })).toBe('holds');
    });

    it('checks only the top-level type: nested values compare structurally', () => {
      expect(outcome({ path: 'args.v', op: 'eq', value: [1, 2] }, { v: ['1', '2'] })).toBe('fails');
    });
  });

  describe('a path that meets an array where it needs a key', () => {
    const c = { path: 'args.tags.env', op: 'eq', value: 'prod' };
    const tags = { tags: [{ env: 'dev' }, { env: 'prod' }] };

    it('denies as a deny_if and as a require, pointing at [*]', () => {
      // Was "missing": the deny_if did not hold and the call went through.
      const why =
        'args.tags is an array, so args.tags.env cannot be looked up in it (write args.tags[*].env to check each element)';
      expect(compile(c, 'deny_if').check(tags)).toEqual({ outcome: 'unchecked', denial: why });
      expect(compile({ ...c, op: 'neq' }, 'require').check(tags)).toEqual({ outcome: 'unchecked', denial: why });
    });

    it('names the array where it is met, below earlier steps', () => {
      expect(denial({ path: 'args.a.b.c', op: 'exists' }, { a: { b: [] } })).toBe(
        'args.a.b is an array, so args.a.b.c cannot be looked up in it (write args.a.b[*].c to check each element)',
      );
    });
  });

  describe('[*]: every element of an array', () => {
    const prodTag = { path: 'args.tags[*].env', op: 'eq', value: 'prod' };

    it('makes a deny_if hold if it holds for any element, naming it', () => {
      expect(compile(prodTag, 'deny_if').check({ tags: [{ env: 'dev' }, { env: 'prod' }] })).toEqual({
        outcome: 'holds',
        denial: 'args.tags[*].env equals "prod" (at args.tags.1.env)',
      });
      expect(compile(prodTag, 'deny_if').check({ tags: [{ env: 'dev' }, {}] })).toEqual({ outcome: 'fails' });
    });

    it('makes a require hold only if it holds for every element, naming the first that does not', () => {
      const dev = { ...prodTag, value: 'dev' };
      expect(compile(dev, 'require').check({ tags: [{ env: 'dev' }, { env: 'dev' }] })).toEqual({ outcome: 'holds' });
      expect(compile(dev, 'require').check({ tags: [{ env: 'dev' }, { env: 'prod' }, { env: 'qa' }] })).toEqual({
        outcome: 'fails',
        denial: 'requires args.tags[*].env to equal "dev" (at args.tags.1.env)',
      });
      expect(denial(dev, { tags: [{ env: 'dev' }, {}] }, 'require')).toBe(
        'requires args.tags[*].env to equal "dev" (at args.tags.1.env)',
      );
    });

    it('fails closed on an element of the wrong shape, in both roles', () => {
      const why = 'args.tags.1.env must be a string to be compared with "prod", got an array';
      expect(compile(prodTag, 'deny_if').check({ tags: [{ env: 'dev' }, { env: ['prod'] }] })).toEqual({
        outcome: 'unchecked',
        denial: why,
      });
      expect(
        compile({ ...prodTag, op: 'neq' }, 'require').check({ tags: [{ env: 'dev' }, { env: ['prod'] }] }),
      ).toEqual({ outcome: 'unchecked', denial: why });
    });

    it('has nothing to check in an empty array: a deny_if does not hold, a require holds', () => {
      expect(outcome(prodTag, { tags: [] }, 'deny_if')).toBe('fails');
      expect(outcome(prodTag, { tags: [] }, 'require')).toBe('holds');
    });

    it('treats a missing or null array as a missing path', () => {
      expect(outcome(prodTag, {}, 'deny_if')).toBe('fails');
      expect(outcome(prodTag, { tags: null }, 'require')).toBe('fails');
      expect(outcome({ ...prodTag, op: 'neq' }, {}, 'require')).toBe('holds');
    });

    it('fails closed when the value there is not an array', () => {
      for (const tags of [{ env: 'prod' }, 'prod', 1]) {
        expect(compile(prodTag, 'deny_if').check({ tags }).outcome, JSON.stringify(tags)).toBe('unchecked');
      }
      expect(denial(prodTag, { tags: { env: 'prod' } }, 'require')).toBe(
        'args.tags must be an array for args.tags[*].env, got an object',
      );
    });

    it('nests, and applies to the values themselves', () => {
      const matrix = { path: 'args.m[*][*]', op: 'gt', value: 9 };
      expect(
        compile(matrix, 'deny_if').check({
          m: [
            [1, 2],
            [3, 10],
          ],
        }),
      ).toEqual({ outcome: 'holds', denial: 'args.m[*][*] is greater than 9 (at args.m.1.1)' });
      expect(
        outcome(matrix, {
          m: [
            [1, 2],
            [3, 4],
          ],
        }),
      ).toBe('fails');
      expect(
        outcome(
          { path: 'args.runs[*].tags[*]', op: 'regex', value: '^prod-' },
          { runs: [{ tags: ['a'] }, { tags: ['b', 'prod-x'] }] },
        ),
      ).toBe('holds');
      expect(outcome({ path: 'args.names[*]', op: 'regex', value: '^prod-' }, { names: ['dev', ['prod-x']] })).toBe(
        'unchecked',
      );
    });

    it('stops at the first element that decides', () => {
      let reads = 0;
      const items = Array.from({ length: 1000 }, (_, i) => ({
        get env() {
          reads += 1;
          return i === 2 ? 'prod' : 'dev';
        },
      }));
      expect(outcome(prodTag, { tags: items }, 'deny_if')).toBe('holds');
      expect(reads).toBe(3);
    });
  });
});

describe('jsonEqual', () => {
  it('compares arrays by order and objects regardless of key order', () => {
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(jsonEqual([], {})).toBe(false);
  });
});
