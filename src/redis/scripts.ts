import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Every Lua script, one `.lua` file each in `./scripts/`, read once when this module loads.
 * Files are named like BullMQ's, `<verb><Noun>-<numKeys>.lua` (no `-N` when the number of keys
 * varies), and open with a KEYS/ARGV/Output header; `--- @include "includes/x"` inlines
 * `./scripts/includes/x.lua`. The build copies the folder next to the compiled module
 * (scripts/copy-lua.sh), so the same relative URL works from `src/` (tsx, vitest) and `dist/`.
 */
export interface RedisScript {
  /** The file name without `-<numKeys>.lua`. */
  readonly name: string;
  /** How many KEYS it takes; undefined when that varies (the caller passes them all). */
  readonly numKeys: number | undefined;
  readonly lua: string;
  readonly sha1: string;
}

const DIR = new URL('./scripts/', import.meta.url);

function load(file: string): RedisScript {
  const parts = /^([A-Za-z]+)(?:-(\d+))?\.lua$/u.exec(file);
  if (parts === null) throw new TypeError(`not a script file name: ${file}`);
  // An include's own header comment documents the include file; the script keeps only its code.
  const lua = readFileSync(new URL(file, DIR), 'utf8').replace(/^--- @include "([\w/]+)"$/gmu, (_, include: string) =>
    readFileSync(new URL(`${include}.lua`, DIR), 'utf8')
      .replace(/^--\[\[[\s\S]*?\]\]\n/u, '')
      .trimEnd(),
  );
  const numKeys = parts[2] === undefined ? undefined : Number(parts[2]);
  return Object.freeze({ name: parts[1]!, numKeys, lua, sha1: createHash('sha1').update(lua).digest('hex') });
}

// The approval state machine: the only code that changes an approval hash.
export const createApproval = load('createApproval-4.lua');
export const decideApproval = load('decideApproval-1.lua');
export const expireApproval = load('expireApproval-1.lua');
export const withdrawApproval = load('withdrawApproval-1.lua');
export const beginExecution = load('beginExecution-2.lua');
export const reapExecution = load('reapExecution-2.lua');
export const renewLease = load('renewLease-1.lua');
export const finishExecution = load('finishExecution-2.lua');
export const markCollected = load('markCollected-1.lua');
export const claimRelease = load('claimRelease-1.lua');

// Rate limits: one pair of keys (log, meta) per counter log a call touches.
export const reserveLimits = load('reserveLimits.lua');
export const releaseLimits = load('releaseLimits.lua');

export const appendAuditEvents = load('appendAuditEvents-1.lua');
export const releaseLock = load('releaseLock-1.lua');
