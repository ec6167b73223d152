import { describe, expect, it } from 'vitest';
import { argsSha256, GENESIS_HASH, sha256Hex } from './digest.js';

describe('sha256Hex', () => {
  it('is the SHA-256 of the UTF-8 bytes, as hex', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('é')).toBe(sha256Hex(Buffer.from('é', 'utf8')));
  });
});

describe('argsSha256', () => {
  it('is stable across key order and runs, and differs when a value differs', () => {
    const a = argsSha256({ name: 'm', version: '3', tags: { b: 1, a: 2 } });
    expect(a).toBe(argsSha256({ tags: { a: 2, b: 1 }, version: '3', name: 'm' }));
    expect(argsSha256({ name: 'm', version: 3, tags: { b: 1, a: 2 } })).not.toBe(a);
    expect(argsSha256(undefined)).toBe(sha256Hex('{}'));
  });

  it('pins the digest of a known argument object', () => {
    expect(argsSha256({ b: [1, 2], a: 'x' })).toBe('721ef82f2d6c0997bffb7a8ab3f40f8fb45b0b52ce2af3afa6b0f05efbdc317f');
  });
});

describe('GENESIS_HASH', () => {
  it('is 64 zeros', () => {
    expect(GENESIS_HASH).toMatch(/^0{64}$/u);
  });
});
