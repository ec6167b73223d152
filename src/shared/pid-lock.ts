import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AirlockError } from './errors.js';

/**
 * A lock file holding its owner's `<pid> <host>`: the mutex between processes on one machine
 * (audit file slots, the embedded Redis membership, the stand-in's state file). Node has no
 * flock, so:
 * - the lock appears with its content already in it (written to a temp file, then `link(2)`ed to
 *   the lock path, which fails with EEXIST when held): nobody ever reads an empty lock;
 * - a lock nobody will release is stale: its pid is dead, or it is this process's own pid but
 *   not a lock this process holds (a pid reused after a restart, common in containers, where
 *   Airlock is often pid 1), or it holds no pid at all. A stale lock is renamed aside under a
 *   unique name and deleted only if the renamed file still holds the text that was read;
 *   otherwise a live lock was taken in between and it is linked back (link never overwrites);
 * - a lock of another host (a shared volume) cannot be checked and counts as live.
 */
export interface PidLock {
  readonly path: string;
  /** Removes the lock if it is still ours; safe to call twice. */
  release(): void;
}

export interface LockOptions {
  /** Give up after this long; default 10 s. */
  timeoutMs?: number;
  /** Pause between attempts; default 10 ms, plus up to 5 ms of jitter so waiters spread out. */
  pollMs?: number;
}

export interface LockOwner {
  pid: number | undefined;
  host: string;
}

const HOST = hostname();
/** Lock paths this process holds now, to tell its own live locks from a dead namesake's. */
const heldHere = new Set<string>();

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code;
const sibling = (path: string, kind: string) => `${path}.${kind}.${process.pid}.${randomBytes(6).toString('hex')}`;

/** Takes the lock if it is free or stale; undefined when a live process holds it. */
export function tryLock(path: string): PidLock | undefined {
  const absolute = resolve(path);
  const content = `${process.pid} ${HOST}\n`;
  const temp = sibling(absolute, 'new');
  writeFileSync(temp, content, { flag: 'wx' });
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      if (linked(temp, absolute)) return held(absolute, content);
      const text = readText(absolute);
      if (text === undefined) continue; // released between our attempt and our read
      if (!isStale(absolute, text)) return undefined;
      removeStale(absolute, text);
    }
    return undefined;
  } finally {
    unlinkSync(temp);
  }
}

/** Waits for the lock (polling) up to `timeoutMs`; the error names the holder. */
export async function lock(path: string, { timeoutMs = 10_000, pollMs = 10 }: LockOptions = {}): Promise<PidLock> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const taken = tryLock(path);
    if (taken !== undefined) return taken;
    if (Date.now() >= deadline) {
      const owner = readOwner(path);
      const who = owner?.pid === undefined ? 'another process' : `pid ${owner.pid} on ${owner.host}`;
      throw new AirlockError(
        'lock_timeout',
        `${path} is still held by ${who} after ${timeoutMs} ms: stop that process, or delete ${path} if it is not running`,
      );
    }
    await sleep(pollMs + Math.random() * 5);
  }
}

/** Runs `body` holding the lock; released when `body` settles. */
export async function withLock<T>(path: string, body: () => Promise<T> | T, options?: LockOptions): Promise<T> {
  const taken = await lock(path, options);
  try {
    return await body();
  } finally {
    taken.release();
  }
}

export function readOwner(path: string): LockOwner | undefined {
  const text = readText(path);
  return text === undefined ? undefined : ownerIn(text);
}

function ownerIn(text: string): LockOwner {
  const [pid, host] = text.trim().split(/\s+/u);
  const n = Number(pid);
  // Text we never write (no pid first) is nobody's lock: stale on whatever host.
  if (!Number.isSafeInteger(n) || n <= 0) return { pid: undefined, host: HOST };
  return { pid: n, host: host ?? HOST };
}

function isStale(path: string, text: string): boolean {
  const { pid, host } = ownerIn(text);
  if (host !== HOST) return false;
  if (pid === undefined) return true;
  if (pid === process.pid) return !heldHere.has(path);
  return !isRunning(pid);
}

/** Whether the owner may still hold it (one of another host cannot be checked: assume so). */
export function isAlive(owner: LockOwner): boolean {
  return owner.host !== HOST || (owner.pid !== undefined && isRunning(owner.pid));
}

/**
 * Only ESRCH proves a process is gone (EPERM means it runs as another user); an exited process
 * its parent has not reaped yet (a zombie, Linux: state Z in /proc) is gone too.
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return errorCode(error) !== 'ESRCH';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false; // no /proc (macOS), or already gone
  }
}

function removeStale(path: string, staleText: string): void {
  const aside = sibling(path, 'stale');
  try {
    renameSync(path, aside);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return; // another waiter removed it first
    throw error;
  }
  try {
    if (readText(aside) === staleText) return;
    try {
      linkSync(aside, path); // a live lock was taken between our read and our rename: give it back
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
    }
  } finally {
    unlinkSync(aside);
  }
}

function linked(temp: string, path: string): boolean {
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw new AirlockError('lock_timeout', `${path}: cannot create the lock file (${(error as Error).message})`, {
      cause: error,
    });
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

function held(path: string, content: string): PidLock {
  let holding = true;
  heldHere.add(path);
  return {
    path,
    release() {
      if (!holding) return;
      holding = false;
      heldHere.delete(path);
      // Only ever delete our own lock, even if something outside removed or replaced it.
      try {
        if (readText(path) === content) unlinkSync(path);
      } catch {
        // the directory may be gone
      }
    },
  };
}
