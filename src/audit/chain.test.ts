import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chainLine, readTail, rotatedPath, rotationStamp, withoutChainFields } from './chain.js';

const dir = mkdtempSync(join(tmpdir(), 'airlock-chain-'));

describe('chainLine', () => {
  it('appends seq, prev and rotated_from to the event object', () => {
    expect(chainLine('{"a":1}', 3, 'f'.repeat(64))).toBe(`{"a":1,"seq":3,"prev":"${'f'.repeat(64)}"}`);
    expect(JSON.parse(chainLine('{"a":1}', 1, '0'.repeat(64), 'audit.x.jsonl'))).toEqual({
      a: 1,
      seq: 1,
      prev: '0'.repeat(64),
      rotated_from: 'audit.x.jsonl',
    });
    expect(withoutChainFields({ a: 1, seq: 1, prev: 'p', rotated_from: 'r' })).toEqual({ a: 1 });
  });
});

describe('rotatedPath and rotationStamp', () => {
  it('name rotated files by time so that they sort in order', () => {
    const at = Date.parse('2026-08-01T12:00:00.123Z');
    const path = rotatedPath('/x/audit.jsonl', at);
    expect(path).toBe('/x/audit.20260801T120000123Z.jsonl');
    expect(rotationStamp('/x/audit.jsonl', path)).toBe(at);
    expect(rotationStamp('/x/audit.jsonl', '/x/audit.jsonl')).toBeUndefined();
    expect(rotationStamp('/x/audit.jsonl', '/x/other.20260801T120000123Z.jsonl')).toBeUndefined();
    expect(rotatedPath('/x/log', at)).toBe('/x/log.20260801T120000123Z');
  });
});

describe('readTail', () => {
  it('returns the last complete lines and any cut line after them', () => {
    const file = join(dir, 'a.jsonl');
    writeFileSync(file, 'one\ntwo\nthree\nfou');
    const tail = readTail(file, 2);
    expect(tail.lines.map(String)).toEqual(['two', 'three']);
    expect(String(tail.partial)).toBe('fou');
    expect(readTail(file, 10).lines.map(String)).toEqual(['one', 'two', 'three']);
  });

  it('reads further back for lines longer than one chunk', () => {
    const file = join(dir, 'b.jsonl');
    const long = 'x'.repeat(300_000);
    writeFileSync(file, `first\n${long}\nlast\n`);
    const tail = readTail(file, 2);
    expect(tail.lines.map((l) => l.length)).toEqual([300_000, 4]);
    expect(tail.partial).toBeUndefined();
    expect(readTail(file, 3).lines.map((l) => l.length)).toEqual([5, 300_000, 4]);
  });

  it('handles an empty file and a file with only a cut line', () => {
    writeFileSync(join(dir, 'c.jsonl'), '');
    expect(readTail(join(dir, 'c.jsonl'), 1)).toEqual({ lines: [], partial: undefined, size: 0 });
    writeFileSync(join(dir, 'd.jsonl'), '{"cut');
    expect(String(readTail(join(dir, 'd.jsonl'), 1).partial)).toBe('{"cut');
  });
});
