import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';

describe('canonicalJson', () => {
  // Moved unchanged from src/approvals/fingerprint.test.ts and src/audit/digest.test.ts.
  it('sorts object keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('drops undefined members as JSON does', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('gives one text for objects that differ only in key order, at every depth', () => {
    expect(canonicalJson({ b: { y: 1, x: [2, { q: 1, p: 0 }] }, a: 1 })).toBe(
      canonicalJson({ a: 1, b: { x: [2, { p: 0, q: 1 }], y: 1 } }),
    );
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });

  it('sorts keys by UTF-16 code units at every depth, as RFC 8785 does', () => {
    expect(canonicalJson({ b: 1, a: [{ z: 1, y: 2 }], '10': 0, '2': 0, é: 0, '😀': 0, Z: 0 })).toBe(
      '{"10":0,"2":0,"Z":0,"a":[{"y":2,"z":1}],"b":1,"é":0,"😀":0}',
    );
  });

  it('writes numbers and strings as JSON.stringify does', () => {
    const value = { n: [0, -0, 1e21, 1e-7, 0.1 + 0.2, -1.5], s: 'é\u2028\u0000"\\\n😀' };
    expect(canonicalJson(value)).toBe(JSON.stringify(value));
  });

  it('drops undefined members, writes undefined array items and undefined itself as null', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, 1] })).toBe('{"b":[null,1]}');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('keeps a "__proto__" key that JSON.parse made an own property', () => {
    expect(canonicalJson(JSON.parse('{"__proto__":{"x":1},"a":1}'))).toBe('{"__proto__":{"x":1},"a":1}');
  });

  it('gives values RFC 8785 refuses the text JSON.stringify gives them, instead of throwing', () => {
    expect(canonicalJson({ b: Number.NaN, a: Number.POSITIVE_INFINITY })).toBe('{"a":null,"b":null}');
    expect(canonicalJson({ b: 'x\ud800', a: 1 })).toBe('{"a":1,"b":"x\\ud800"}');
    expect(canonicalJson('\udc00')).not.toBe(canonicalJson('\ud800'));
  });

  it('throws on cycles', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow();
    expect(() => canonicalJson({ n: Number.NaN, cyclic })).toThrow();
  });
});
