import { describe, expect, it } from 'vitest';
import { compilePolicyRegex, MAX_REGEX_PROGRAM_SIZE, regexProblem } from './regex.js';

describe('compilePolicyRegex', () => {
  it('searches unanchored, like RegExp.prototype.test', () => {
    const re = compilePolicyRegex('legacy');
    expect([re.test('prod-x-legacy-2'), re.test('prod-x')]).toEqual([true, false]);
    expect(compilePolicyRegex('^prod-.*-legacy$').test('prod-x-legacy-2')).toBe(false);
  });

  it('matches nested quantifiers in linear time', () => {
    const re = compilePolicyRegex('^(a+)+$');
    const started = performance.now();
    expect(re.test(`${'a'.repeat(49)}!`)).toBe(false);
    expect(re.test(`${'a'.repeat(100_000)}!`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('throws, with the reason, for a pattern regexProblem rejects', () => {
    expect(() => compilePolicyRegex('a(?=b)')).toThrow(/^lookahead/);
  });
});

describe('regexProblem', () => {
  it('accepts RE2 syntax, including what JavaScript lacks', () => {
    for (const pattern of [
      '^prod-.*-legacy$',
      '(?i)prod',
      '(?P<name>x)',
      '(?<name>x)',
      '\\p{Greek}',
      '[[:alpha:]]',
      '\\x{41}',
      '\\Qa.b\\E',
      '\\d+\\/x',
    ]) {
      expect(regexProblem(pattern), pattern).toBeUndefined();
    }
  });

  it.each([
    [
      'a(?=b)',
      'lookahead `(?=…)` is not supported: policy regexes use RE2 syntax (linear time), and RE2 has no lookaround; match the text itself, or split the check into several conditions',
    ],
    [
      'a(?!b)',
      'negative lookahead `(?!…)` is not supported: policy regexes use RE2 syntax (linear time), and RE2 has no lookaround',
    ],
    [
      '(?<=a)b',
      'lookbehind `(?<=…)` is not supported: policy regexes use RE2 syntax (linear time), and RE2 has no lookaround',
    ],
    ['x(?<!a)b', 'negative lookbehind `(?<!…)` is not supported'],
    [
      '(a)\\1',
      'backreference `\\1` is not supported: policy regexes use RE2 syntax (linear time), which cannot refer back to a captured group',
    ],
    ['(?<n>a)\\k<n>', 'named backreference `\\k<…>` is not supported'],
    [
      'a++',
      'possessive quantifier `++` is not supported: policy regexes use RE2 syntax (linear time), which never backtracks; write `+`',
    ],
    ['a{2}+', 'possessive quantifier `{2}+` is not supported'],
    [
      '(?>ab)',
      'atomic group `(?>…)` is not supported: policy regexes use RE2 syntax (linear time), which never backtracks; write `(?:…)`',
    ],
    ['(?#note)a', 'comment `(?#…)` is not supported'],
    ['(?|a|b)', 'group syntax `(?|` is not supported'],
    [
      '\\u00e9',
      'the escape `\\u` is not supported: policy regexes use RE2 syntax (linear time); write a code point as `\\x{00E9}`',
    ],
    ['a\\Z', 'the escape `\\Z` is not supported'],
    ['\\cA', 'the escape `\\c` is not supported'],
    ['a{1001}', 'the repeat count `{1001}` is not supported: RE2 allows at most {1000}'],
  ])('names the construct in %s', (pattern, message) => {
    expect(regexProblem(pattern)).toMatch(new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it('reports other syntax errors with the pattern and RE2 description', () => {
    expect(regexProblem('([a-z')).toBe(
      'expected a valid regular expression, got "([a-z" (Invalid regular expression: missing closing ]: `[a-z`; policy regexes use RE2 syntax (linear time))',
    );
  });

  it(`rejects patterns that compile to more than ${MAX_REGEX_PROGRAM_SIZE} instructions`, () => {
    expect(regexProblem('(\\w+\\s*){700}$')).toMatch(
      /^too complex: "\(\\\\w\+\\\\s\*\)\{700\}\$" compiles to 4203 RE2 instructions, at most 2000 are allowed/,
    );
    expect(regexProblem('(\\w+\\s*){300}$')).toBeUndefined();
  });
});
