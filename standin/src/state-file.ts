/**
 * `--seed` and `--state` files: read with errors that name the file and the JSON path, and
 * written atomically (temp file + rename) so a crash never leaves half a state file.
 */
import { closeSync, openSync, readFileSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseJsonText } from '../../src/shared/index.js';
import { parseStoreState, type StoreState } from './store-schema.js';

export function readStateFile(path: string): StoreState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(
      `${path}: cannot read stand-in data file: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return parseStoreState(parseJsonText(text, path), path);
}

/** A state file's data and its revision (0 for files written before revisions existed). */
export function readStateFileWithRevision(path: string): { state: StoreState; revision: number } {
  const { revision = 0, ...state } = readStateFile(path);
  return { state, revision };
}

/** `format` then `revision` lead the file, so peekRevision finds the revision in its first bytes. */
export function writeStateFileAtomic(path: string, state: StoreState, revision?: number): void {
  const { format, revision: stateRevision, ...rest } = state;
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(temp, JSON.stringify({ format, revision: revision ?? stateRevision, ...rest }, null, 2) + '\n', 'utf8');
  renameSync(temp, path);
}

const HEAD_BYTES = 256;
const REVISION_AT_HEAD = /^\{\s*"format":\s*"[^"\\]*",\s*"revision":\s*(\d+)\s*[,}]/;

/**
 * The revision of a state file from its first bytes, without parsing it: 'missing' when there is
 * no file, 'unknown' when the head is not as writeStateFileAtomic writes it (read it in full).
 */
export function peekRevision(path: string): number | 'missing' | 'unknown' {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unknown';
  }
  try {
    const head = Buffer.alloc(HEAD_BYTES);
    const length = readSync(fd, head, 0, HEAD_BYTES, 0);
    const match = REVISION_AT_HEAD.exec(head.toString('utf8', 0, length));
    return match ? Number(match[1]) : 'unknown';
  } finally {
    closeSync(fd);
  }
}
