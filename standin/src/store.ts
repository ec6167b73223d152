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
  /** Runs each call with sole access to an up-to-date state (a shared `--state` file); by default the call just runs. */
  exclusive?: <T>(work: () => T | Promise<T>) => Promise<T>;
}

export class StandinStore implements StoreContext {
  readonly tracking: TrackingStore;
  readonly registry: RegistryStore;
  private lastTimestamp = 0;
  private current: StoreState;

  constructor(
    state: StoreState,
    private readonly options: StandinStoreOptions = {},
  ) {
    this.current = state;
    this.tracking = new TrackingStore(this);
    this.registry = new RegistryStore(this);
  }

  get state(): StoreState {
    return this.current;
  }

  /** Take the state another stand-in wrote to the shared file. */
  replaceState(state: StoreState): void {
    this.current = state;
  }

  /** Everything that touches the state runs inside this (tool calls: see callStandinTool). */
  async exclusive<T>(work: () => T | Promise<T>): Promise<T> {
    return this.options.exclusive ? this.options.exclusive(work) : work();
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

/** A fresh copy of the built-in seed (standin/src/seed.json). */
export function builtInSeed(): StoreState {
  return parseStoreState(structuredClone(seedData), 'built-in seed (standin/src/seed.json)');
}
