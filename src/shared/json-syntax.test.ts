import { describe, expect, it } from 'vitest';
import { findJsonSyntaxError } from './json-syntax.js';

describe('findJsonSyntaxError', () => {
  it('finds nothing wrong in valid JSON', () => {
    expect(findJsonSyntaxError('{"a": [1, -2.5e3, "x\\n\\u00e9", true, false, null, {}]}')).toBeUndefined();
  });

  it.each([
    ['{"a": 1,}', 1, 9, 'expected another item after \',\' (JSON has no trailing commas), got "}"'],
    ['{\n  "a" 1\n}', 2, 7, 'expected \':\' after the property name, got "1"'],
    ["{'a': 1}", 1, 2, 'expected a property name in double quotes, got "\'"'],
    ['[1, 2', 1, 6, "expected ',' or ']', got the end of the file"],
    ['{"a": tru}', 1, 7, 'expected a JSON value, got "t"'],
    ['{"a": "x\ty"}', 1, 9, 'expected no raw control character inside a string (use an escape like \\n), got "\\t"'],
    ['{} {}', 1, 4, 'expected the end of the file after the JSON value, got "{"'],
    ['', 1, 1, 'expected a JSON value, got the end of the file'],
  ])('locates the error in %j at line %i, column %i', (text, line, column, message) => {
    expect(JSON.parse.bind(null, text)).toThrow();
    expect(findJsonSyntaxError(text)).toEqual({ line, column, message });
  });
});
