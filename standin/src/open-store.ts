/** The store a stand-in process serves: from `--state` (shared safely with other stand-ins), `--seed` or the built-in seed. */
import type { LockOptions } from '../../src/shared/index.js';
import { readStateFile } from './state-file.js';
import { SharedStateFile } from './shared-state.js';
import { builtInSeed, StandinStore } from './store.js';

export interface OpenStoreOptions {
  seedPath?: string;
  statePath?: string;
  clock?: () => number;
  /** How long a call waits for another stand-in holding the state file's lock. */
  lock?: LockOptions;
}

/**
 * The state file wins when it exists; otherwise it is created at once from the seed (given or
 * built in). With a state file every call sees the other stand-ins' changes and saves its own;
 * without one nothing touches the disk.
 */
export async function openStore(options: OpenStoreOptions): Promise<StandinStore> {
  const { statePath, seedPath } = options;
  const seed = () => (seedPath !== undefined ? readStateFile(seedPath) : builtInSeed());
  const clock = options.clock && { clock: options.clock };
  if (statePath === undefined) return new StandinStore(seed(), { ...clock });

  const file = new SharedStateFile(statePath, options.lock);
  const store: StandinStore = new StandinStore(await file.open(seed), {
    ...clock,
    onChange: () => file.markChanged(),
    exclusive: (work) => file.run(store, work),
  });
  return store;
}
