import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { chainFiles, rotationStamp } from './chain.js';

/**
 * The chains an audit directory holds (README.md "Files and processes"): one per instance stem,
 * `<stem>.jsonl` (the live file) plus its rotated predecessors `<stem>.<UTC stamp>.jsonl`. A
 * chain may have rotated files only (its live file was moved away, or its writer died between a
 * rename and the next open). Locks and any other files are not chains.
 */
export interface AuditChain {
  /** The stem: `<host>-<n>` for a slot, or the fixed file's name without its extension. */
  instance: string;
  /** The live file (it may not exist). */
  live: string;
  /** Every file of the chain, oldest first: rotated ones, then the live file when it exists. */
  files: string[];
}

/** What readers read: every chain of a directory, or the one chain of a fixed file. */
export type ChainSource = { dir: string } | { file: string };

const EXT = '.jsonl';

export function describeSource(source: ChainSource): string {
  return 'dir' in source ? `the audit directory ${source.dir}` : `the audit file ${source.file}`;
}

/** The chains of `source`, ordered by instance name (`host-2` before `host-10`). */
export function listChains(source: ChainSource): AuditChain[] {
  if ('file' in source) {
    const chain = chainOf(source.file);
    return chain.files.length > 0 ? [chain] : [];
  }
  let names: string[];
  try {
    names = readdirSync(source.dir);
  } catch {
    return [];
  }
  const stems = new Set<string>();
  for (const name of names) {
    if (name.startsWith('.') || !name.endsWith(EXT)) continue;
    const stem = name.slice(0, -EXT.length);
    const dot = stem.lastIndexOf('.');
    // `<stem>.<stamp>.jsonl` is rotated from `<stem>.jsonl`; any other name is a live file.
    const rotatedFrom = dot > 0 ? stem.slice(0, dot) : undefined;
    stems.add(
      rotatedFrom !== undefined && rotationStamp(`${rotatedFrom}${EXT}`, name) !== undefined ? rotatedFrom : stem,
    );
  }
  return [...stems].sort(byInstance).map((stem) => chainOf(join(source.dir, `${stem}${EXT}`)));
}

/** The chain whose live file is `file`. */
function chainOf(file: string): AuditChain {
  return { instance: basename(file, extname(file)), live: file, files: chainFiles(file) };
}

const collator = new Intl.Collator('en', { numeric: true });

function byInstance(a: string, b: string): number {
  return collator.compare(a, b);
}

/** Whether `path` is a directory (for `audit verify <dir>`). */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
