/**
 * The stand-in's whole MLflow backend: one state object shared by the tracking store and the
 * model registry, a clock, and a change hook used to persist `--state` files.
 */
import seedData from './seed.json' with { type: 'json' };
import { RegistryStore } from './registry-store.js';
import { parseStoreState, type StoreState } from './store-schema.js';
import { TrackingStore, type StoreContext } from './tracking-store.js';

export interface StandinStoreOptions {
  /** Epoch ms; defaults to Date.now. */
  clock?: () => number;
  /** Called with the state after every mutation. */
  onChange?: (state: StoreState) => void;
}

export class StandinStore implements StoreContext {
  readonly tracking: TrackingStore;
  readonly registry: RegistryStore;
  private lastTimestamp = 0;

  constructor(
    readonly state: StoreState,
    private readonly options: StandinStoreOptions = {},
  ) {
    this.tracking = new TrackingStore(this);
    this.registry = new RegistryStore(this);
  }

  /** Strictly increasing, so two changes in the same millisecond still order deterministically. */
  now(): number {
    const wall = (this.options.clock ?? Date.now)();
    this.lastTimestamp = Math.max(wall, this.lastTimestamp + 1);
    return this.lastTimestamp;
  }

  changed(): void {
    this.options.onChange?.(this.state);
  }

  snapshot(): StoreState {
    return structuredClone(this.state);
  }
}

/** A fresh copy of the built-in seed (src/standin/seed.json). */
export function builtInSeed(): StoreState {
  return parseStoreState(structuredClone(seedData), 'built-in seed (src/standin/seed.json)');
}
