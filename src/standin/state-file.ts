/**
 * `--seed` and `--state` files: read with errors that name the file and the JSON path, and
 * written atomically (temp file + rename) so a crash never leaves half a state file.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseJsonText } from '../shared/json-file.js';
import { parseStoreState, type StoreState } from './store-schema.js';
import { builtInSeed, StandinStore } from './store.js';

export function readStateFile(path: string): StoreState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${path}: cannot read stand-in data file: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseStoreState(parseJsonText(text, path), path);
}

export function writeStateFileAtomic(path: string, state: StoreState): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(temp, JSON.stringify(state, null, 2) + '\n', 'utf8');
  renameSync(temp, path);
}

export interface OpenStoreOptions {
  seedPath?: string;
  statePath?: string;
  clock?: () => number;
}

/**
 * The state file wins when it exists; otherwise start from the seed (given or built in). With a
 * state file every mutation is persisted, and the initial state is written at once so the file
 * exists from the start.
 */
export function openStore(options: OpenStoreOptions): StandinStore {
  const { statePath, seedPath } = options;
  const fromState = statePath !== undefined && existsSync(statePath);
  const state = fromState ? readStateFile(statePath) : seedPath !== undefined ? readStateFile(seedPath) : builtInSeed();
  const persist = statePath === undefined ? undefined : (s: StoreState) => writeStateFileAtomic(statePath, s);
  const store = new StandinStore(state, { ...(options.clock && { clock: options.clock }), ...(persist && { onChange: persist }) });
  if (persist && !fromState) persist(state);
  return store;
}
