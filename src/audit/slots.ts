import { mkdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AirlockError, readOwner, tryLock, type PidLock } from '../shared/index.js';

/**
 * Which file an audit writer owns (README.md "Files and processes"). In the audit directory each
 * process claims the lowest free slot `<host>-<n>.jsonl` by taking its `.lock` (pid-lock.ts: the
 * lock appears atomically, so two processes starting together never get the same slot). A free
 * slot is a file whose last writer is gone: the new owner continues that file's chain. With an
 * explicit `audit.file` there is one slot only.
 */
export interface ClaimedFile {
  file: string;
  lock: PidLock;
  /** The lock file's inode when taken: a lock re-created by someone else (same pid or not) differs. */
  lockIno: number;
}

/** Slots tried before giving up: far more Airlock processes than one machine runs. */
const MAX_SLOTS = 10_000;

/** `os.hostname()` fit for a file name: characters outside `[A-Za-z0-9_-]` become `-`. */
export function instanceHost(name: string = hostname()): string {
  return name.replace(/[^A-Za-z0-9_-]/gu, '-') || 'host';
}

function slotFile(dir: string, host: string, n: number): string {
  return join(dir, `${host}-${n}.jsonl`);
}

/** The lowest free slot of `dir` (created if missing), locked. */
export function claimSlot(dir: string): ClaimedFile {
  mkdirSync(dir, { recursive: true });
  const host = instanceHost();
  for (let n = 1; n <= MAX_SLOTS; n++) {
    const file = slotFile(dir, host, n);
    const lock = tryLock(lockPath(file));
    if (lock !== undefined) return held(file, lock);
  }
  throw new AirlockError(
    'config_invalid',
    `all ${MAX_SLOTS} audit slots in ${dir} are held by running processes: remove stale ${host}-*.jsonl.lock files`,
  );
}

/** The explicit `audit.file`, locked; a live holder is refused (one writer per chain). */
export function claimFixedFile(file: string): ClaimedFile {
  const lock = tryLock(lockPath(file));
  if (lock !== undefined) return held(file, lock);
  const owner = readOwner(lockPath(file));
  const who =
    owner === undefined ? 'another Airlock process' : `another Airlock process (pid ${owner.pid} on ${owner.host})`;
  throw new AirlockError(
    'config_invalid',
    `${who} is writing the audit file ${file}, and audit.file allows one writer only: for several processes leave audit.file (and serve --audit-file) unset, so each one gets its own file in audit.dir`,
  );
}

/** Re-takes the same file's lock (after its directory was removed and recreated), if it is free. */
export function reclaim(claimed: ClaimedFile): ClaimedFile | undefined {
  const lock = tryLock(claimed.lock.path);
  return lock === undefined ? undefined : held(claimed.file, lock);
}

/**
 * Whether the lock is still the one taken: it vanishes with its directory, and then another
 * writer (of this process too, so the pid in it cannot tell) may have taken the file.
 */
export function stillHeld(claimed: ClaimedFile): boolean {
  try {
    return statSync(claimed.lock.path).ino === claimed.lockIno;
  } catch {
    return false;
  }
}

/** Releases the lock unless it is no longer ours (then it belongs to whoever took it since). */
export function release(claimed: ClaimedFile | undefined): void {
  if (claimed !== undefined && stillHeld(claimed)) claimed.lock.release();
}

function held(file: string, lock: PidLock): ClaimedFile {
  return { file, lock, lockIno: statSync(lock.path).ino };
}

function lockPath(file: string): string {
  return `${file}.lock`;
}
