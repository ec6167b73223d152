import { accessSync, constants, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { AirlockError, describeError } from '../shared/index.js';

/**
 * Where one user's Airlock processes keep local state (the demo token, the embedded Redis, the
 * stand-in's store, the audit files): `--data-dir`, else `$AIRLOCK_HOME`, else
 * `$XDG_STATE_HOME/airlock`, else `~/.local/state/airlock`. Never the working directory: agents
 * start stdio servers from `/` or wherever they happen to be.
 */
export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined && flag !== '') return resolve(flag);
  if (env.AIRLOCK_HOME) return resolve(env.AIRLOCK_HOME);
  // The XDG spec says relative values are invalid and must be ignored.
  if (env.XDG_STATE_HOME && isAbsolute(env.XDG_STATE_HOME)) return join(env.XDG_STATE_HOME, 'airlock');
  return join(homedir(), '.local', 'state', 'airlock');
}

/** Creates the data directory (private to the user) or says why it cannot be used. */
export function ensureDataDir(dir: string): string {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new AirlockError(
      'data_dir_unusable',
      `cannot use the data directory ${dir} (${describeError(error)}): pass --data-dir <dir> or set AIRLOCK_HOME to a writable directory`,
    );
  }
  return dir;
}
