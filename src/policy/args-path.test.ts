import { describe, expect, it } from 'vitest';
import { ARGS_PATH_PATTERN, MISSING, parseArgsPath, reach } from './args-path.js';

const places = (args: unknown, path: string) => [...reach(args, parseArgsPath(path))];

describe('ARGS_PATH_PATTERN', () => {
  it('accepts keys, indexes and [*] after a key', () => {
    for (const path of [
      'args.name',
      'args.items.0',
      'args.a-b.c_d',
      'args.tags[*]',
      'args.tags[*].env',
      'args.m[*][*]',
      'args[*].x',
      'args.a[b]',
    ]) {
      expect(ARGS_PATH_PATTERN.test(path), path).toBe(true);
    }
  });

  it('rejects empty keys, [*] inside a key or on its own, and paths outside args', () => {
    for (const path of [
      'args',
      'args.',
      'args..a',
      'args.[*]',
      'args.a.[*]',
      'args.a[*]b',
      'args.a[*]x.b',
      'args.tags[*.env',
      'x.a',
      'argsx.a',
      'args.a[*',
    ]) {
      expect(ARGS_PATH_PATTERN.test(path), path).toBe(false);
    }
  });
});

describe('parseArgsPath', () => {
  it('splits keys and [*] steps below args', () => {
    expect(parseArgsPath('args.tags[*].env')).toEqual([{ key: 'tags' }, { each: true }, { key: 'env' }]);
    expect(parseArgsPath('args[*].m[*][*]')).toEqual([{ each: true }, { key: 'm' }, { each: true }, { each: true }]);
    expect(parseArgsPath('args.a[b]')).toEqual([{ key: 'a[b]' }]);
  });
});

describe('reach', () => {
  it('reaches one place without [*], and names it', () => {
    expect(places({ a: { b: 1 } }, 'args.a.b')).toEqual([{ at: 'args.a.b', value: 1 }]);
    expect(places({ a: {} }, 'args.a.b')).toEqual([{ at: 'args.a.b', value: MISSING }]);
    expect(places({ a: 'text' }, 'args.a.b')).toEqual([{ at: 'args.a.b', value: MISSING }]);
  });

  it('reaches every element with [*], in order, and none for an empty array', () => {
    expect(places({ t: [{ e: 1 }, { e: 2 }] }, 'args.t[*].e')).toEqual([
      { at: 'args.t.0.e', value: 1 },
      { at: 'args.t.1.e', value: 2 },
    ]);
    expect(places({ t: [] }, 'args.t[*].e')).toEqual([]);
  });

  it('reports a shape mismatch where the path needs a key in an array, or an array is not there', () => {
    expect(places({ t: [1] }, 'args.t.e')).toEqual([
      { at: 'args.t', mismatch: expect.stringContaining('write args.t[*].e') },
    ]);
    expect(places({ t: 'x' }, 'args.t[*]')).toEqual([
      { at: 'args.t', mismatch: 'args.t must be an array for args.t[*], got a string' },
    ]);
  });
});
