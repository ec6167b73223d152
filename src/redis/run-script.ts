import type { Redis } from 'ioredis';
import type { RedisScript } from './scripts.js';

/** What a script runs on: an ioredis client, or a test double that speaks only EVALSHA and EVAL. */
export type ScriptClient = Pick<Redis, 'evalsha' | 'eval'> & Partial<Pick<Redis, 'defineCommand'>>;

type ScriptArg = string | number;
type DefinedCommand = (...args: ScriptArg[]) => Promise<unknown>;

/**
 * Runs `script` as a command defined on this connection (ioredis `defineCommand`, once per
 * client, under `airlock:<name>`): ioredis sends EVAL the first time on each socket and EVALSHA
 * after, and re-sends on NOSCRIPT (a restarted or flushed Redis). A client that cannot define
 * commands gets the same protocol by hand.
 */
export async function runScript(
  client: ScriptClient,
  script: RedisScript,
  keys: readonly string[],
  args: readonly ScriptArg[],
): Promise<unknown> {
  if (script.numKeys !== undefined && keys.length !== script.numKeys)
    throw new TypeError(`${script.name} takes ${script.numKeys} keys, got ${keys.length}`);
  if (client.defineCommand === undefined) return evalBySha(client, script, keys, args);
  const name = `airlock:${script.name}`;
  const commands = client as unknown as Record<string, DefinedCommand | undefined>;
  if (typeof commands[name] !== 'function') {
    client.defineCommand(
      name,
      script.numKeys === undefined ? { lua: script.lua } : { numberOfKeys: script.numKeys, lua: script.lua },
    );
  }
  return commands[name]!(...(script.numKeys === undefined ? [keys.length] : []), ...keys, ...args);
}

/**
 * EVAL with the whole text, never EVALSHA: for a command that must not be overtaken on its
 * connection (a NOSCRIPT round trip would let the commands sent after it run first).
 */
export function evalScript(
  client: ScriptClient,
  script: RedisScript,
  keys: readonly string[],
  args: readonly ScriptArg[],
): Promise<unknown> {
  return client.eval(script.lua, keys.length, ...keys, ...args);
}

async function evalBySha(
  client: ScriptClient,
  script: RedisScript,
  keys: readonly string[],
  args: readonly ScriptArg[],
): Promise<unknown> {
  try {
    return await client.evalsha(script.sha1, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return await client.eval(script.lua, keys.length, ...keys, ...args);
  }
}
