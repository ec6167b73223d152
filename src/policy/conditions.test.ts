import { describe, expect, it } from 'vitest';
import { compileCondition, jsonEqual } from './conditions.js';
import { ConditionSchema } from './schema.js';

const holds = (condition: object, args: unknown) => compileCondition(ConditionSchema.parse(condition), '/c').test(args);

describe('compileCondition', () => {
  describe('paths', () => {
    it('walks nested objects', () => {
      expect(holds({ path: 'args.a.b.c', op: 'eq', value: 1 }, { a: { b: { c: 1 } } })).toBe(true);
    });

    it('indexes arrays with a number segment', () => {
      expect(holds({ path: 'args.items.1.name', op: 'eq', value: 'b' }, { items: [{ name: 'a' }, { name: 'b' }] })).toBe(true);
      expect(holds({ path: 'args.items.2', op: 'exists' }, { items: [1, 2] })).toBe(false);
      expect(holds({ path: 'args.items.01', op: 'exists' }, { items: [1, 2] })).toBe(false);
      expect(holds({ path: 'args.items.length', op: 'exists' }, { items: [1, 2] })).toBe(false);
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
      expect(holds({ path: 'args.stage', op: 'in', value: ['Staging', 'Production'] }, { stage: 'Staging' })).toBe(true);
      expect(holds({ path: 'args.stage', op: 'in', value: ['Staging'] }, { stage: 'staging' })).toBe(false);
      expect(holds({ path: 'args.n', op: 'in', value: [1, 2] }, { n: '1' })).toBe(false);
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

    it('is false for numeric strings, other types and missing paths (no coercion)', () => {
      for (const n of ['5', true, null, [5], undefined]) expect(holds({ path: 'args.n', op: 'lt', value: 10 }, { n })).toBe(false);
      expect(holds({ path: 'args.n', op: 'gte', value: 0 }, {})).toBe(false);
    });
  });

  describe('regex', () => {
    it('matches strings, unanchored unless the pattern anchors itself', () => {
      expect(holds({ path: 'args.m', op: 'regex', value: 'legacy' }, { m: 'prod-x-legacy-2' })).toBe(true);
      expect(holds({ path: 'args.m', op: 'regex', value: '^prod-.*-legacy$' }, { m: 'prod-x-legacy-2' })).toBe(false);
    });

    it('is false for non-strings and missing paths', () => {
      expect(holds({ path: 'args.m', op: 'regex', value: '^1$' }, { m: 1 })).toBe(false);
      expect(holds({ path: 'args.m', op: 'regex', value: '.*' }, {})).toBe(false);
    });
  });

  describe('contains', () => {
    it('finds a substring in a string', () => {
      expect(holds({ path: 'args.q', op: 'contains', value: 'DROP' }, { q: 'x; DROP TABLE' })).toBe(true);
      expect(holds({ path: 'args.q', op: 'contains', value: 'drop' }, { q: 'x; DROP TABLE' })).toBe(false);
    });

    it('finds an element in an array, structurally', () => {
      expect(holds({ path: 'args.stages', op: 'contains', value: 'Production' }, { stages: ['Staging', 'Production'] })).toBe(true);
      expect(holds({ path: 'args.ids', op: 'contains', value: { id: 1 } }, { ids: [{ id: 1 }] })).toBe(true);
      expect(holds({ path: 'args.ids', op: 'contains', value: 1 }, { ids: ['1'] })).toBe(false);
    });

    it('is false for other types and missing paths', () => {
      expect(holds({ path: 'args.q', op: 'contains', value: '1' }, { q: 123 })).toBe(false);
      expect(holds({ path: 'args.q', op: 'contains', value: 'a' }, { q: { a: 1 } })).toBe(false);
      expect(holds({ path: 'args.q', op: 'contains', value: 'a' }, {})).toBe(false);
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
    const c = compileCondition(ConditionSchema.parse({ path: 'args.stage', op: 'in', value: ['a', 'b'] }), '/tools/t/require/0');
    expect(c).toMatchObject({ id: '/tools/t/require/0', holds: 'args.stage is one of ["a","b"]', required: 'requires args.stage to be one of ["a","b"]' });
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
