/**
 * One `--state` file shared by several stand-ins (each `airlock serve --stdio` starts its own on the
 * same data directory). Each call is a critical section: take `<state>.lock`, reload the file if
 * another process wrote it since (its revision is not the one we last read or wrote), run the
 * call, write the file with the next revision if the store changed, release. Every writer reloads
 * first under the lock, so revisions on disk only grow and a changed file never looks unchanged.
 * Calls within this process are queued too, so none can interleave with another's reload and write.
 */
import { withLock, type LockOptions } from '../../src/shared/index.js';
import { peekRevision, readStateFileWithRevision, writeStateFileAtomic } from './state-file.js';
import type { StoreState } from './store-schema.js';

/** The part of the store this needs: its current state, and a way to swap in what was reloaded. */
export interface ReloadableState {
  readonly state: StoreState;
  replaceState(state: StoreState): void;
}

export class SharedStateFile {
  readonly lockPath: string;
  /** The file's revision as this process last read or wrote it; undefined forces a full read. */
  private revision: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private inCall = false;
  private changed = false;

  constructor(
    readonly path: string,
    private readonly lockOptions: LockOptions = {},
  ) {
    this.lockPath = `${path}.lock`;
  }

  /** The file's state, or the seed written as the new file when there is none; under the lock, so two stand-ins starting at once agree. */
  open(seed: () => StoreState): Promise<StoreState> {
    return this.serialized(() => {
      if (peekRevision(this.path) === 'missing') {
        const state = seed();
        this.write(state);
        return state;
      }
      const { state, revision } = readStateFileWithRevision(this.path);
      this.revision = revision;
      return state;
    });
  }

  /** The store's change hook: the file is written once, when the call ends. */
  markChanged(): void {
    if (!this.inCall)
      throw new Error(`${this.path}: the stand-in store changed outside a call; it would never be saved`);
    this.changed = true;
  }

  /** Run one call on an up-to-date state and save what it changed (even when it then fails). */
  run<T>(store: ReloadableState, work: () => T | Promise<T>): Promise<T> {
    return this.serialized(async () => {
      this.reloadIfChanged(store);
      this.inCall = true;
      this.changed = false;
      try {
        return await work();
      } finally {
        this.inCall = false;
        if (this.changed) this.write(store.state);
      }
    });
  }

  /** Queued behind this process's earlier calls, then under the file lock. */
  private serialized<T>(work: () => T | Promise<T>): Promise<T> {
    const result = this.queue.then(async () => {
      return withLock(this.lockPath, work, this.lockOptions);
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  private reloadIfChanged(store: ReloadableState): void {
    const onDisk = peekRevision(this.path);
    // Deleted while we run: put our state back rather than lose it.
    if (onDisk === 'missing') return this.write(store.state);
    if (onDisk === this.revision) return;
    const { state, revision } = readStateFileWithRevision(this.path);
    store.replaceState(state);
    this.revision = revision;
  }

  private write(state: StoreState): void {
    const next = (this.revision ?? 0) + 1;
    try {
      writeStateFileAtomic(this.path, state, next);
      this.revision = next;
    } catch (error) {
      // What is on disk is now the truth: read it in full on the next call.
      this.revision = undefined;
      throw new Error(
        `${this.path}: cannot save the stand-in state: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
