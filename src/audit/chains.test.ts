import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listChains } from './chains.js';
import { instanceHost } from './slots.js';

function dirWith(names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-chains-'));
  for (const name of names) writeFileSync(join(dir, name), '');
  return dir;
}

describe('listChains', () => {
  it('groups a directory by instance: rotated files oldest first, then the live file', () => {
    const dir = dirWith([
      'vm-2.jsonl',
      'vm-1.20260801T120000000Z.jsonl',
      'vm-1.jsonl',
      'vm-1.jsonl.lock',
      'vm-1.20260731T090000000Z.jsonl',
      'vm-10.jsonl',
      '.vm-3.jsonl.lock.123.abcd',
      'vm-3.jsonl.lock.stale.123.abcd',
      'notes.txt',
      'airlock.config.json',
    ]);
    expect(listChains({ dir })).toEqual([
      {
        instance: 'vm-1',
        live: join(dir, 'vm-1.jsonl'),
        files: ['vm-1.20260731T090000000Z.jsonl', 'vm-1.20260801T120000000Z.jsonl', 'vm-1.jsonl'].map((n) =>
          join(dir, n),
        ),
      },
      { instance: 'vm-2', live: join(dir, 'vm-2.jsonl'), files: [join(dir, 'vm-2.jsonl')] },
      { instance: 'vm-10', live: join(dir, 'vm-10.jsonl'), files: [join(dir, 'vm-10.jsonl')] },
    ]);
  });

  it('keeps a chain that has only rotated files, and names that merely contain a dot', () => {
    const dir = dirWith(['a.20260801T120000000Z.jsonl', 'b.old.jsonl']);
    expect(listChains({ dir })).toEqual([
      { instance: 'a', live: join(dir, 'a.jsonl'), files: [join(dir, 'a.20260801T120000000Z.jsonl')] },
      { instance: 'b.old', live: join(dir, 'b.old.jsonl'), files: [join(dir, 'b.old.jsonl')] },
    ]);
  });

  it('reads one fixed file as one chain, and nothing from what does not exist', () => {
    const dir = dirWith(['audit.20260801T120000000Z.jsonl', 'audit.jsonl', 'vm-1.jsonl']);
    expect(listChains({ file: join(dir, 'audit.jsonl') })).toEqual([
      {
        instance: 'audit',
        live: join(dir, 'audit.jsonl'),
        files: [join(dir, 'audit.20260801T120000000Z.jsonl'), join(dir, 'audit.jsonl')],
      },
    ]);
    expect(listChains({ file: join(dir, 'none.jsonl') })).toEqual([]);
    expect(listChains({ dir: join(dir, 'missing') })).toEqual([]);
  });
});

describe('instanceHost', () => {
  it('keeps letters, digits, "_" and "-" and replaces the rest', () => {
    expect(instanceHost('build-box_01.example.com')).toBe('build-box_01-example-com');
    expect(instanceHost('Mac Book (2)')).toBe('Mac-Book--2-');
  });
});
