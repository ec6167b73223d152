// The patterns are an input (the audit config's effective `redact` list): the default list is a
// config default and lives in src/config/audit.ts (DEFAULT_REDACT_PATTERNS).

export const REDACTED = '[redacted]';
const CIRCULAR = '[circular]';
const TOO_DEEP = '[too deep]';

export interface RedactorOptions {
  /** Objects nested deeper than this become "[too deep]" (the SHA-256 still covers them). Default 64. */
  maxDepth?: number;
}

export type Redactor = (value: unknown) => unknown;

/**
 * A pure function that returns a deep copy of a JSON-like value with every value whose key
 * matches one of `patterns` replaced by "[redacted]", at any depth, inside arrays too. The input
 * is never changed. Cycles become "[circular]"; `toJSON` is honoured as JSON.stringify does.
 */
export function createRedactor(patterns: readonly string[], options: RedactorOptions = {}): Redactor {
  const matcher = keyMatcher(patterns);
  const maxDepth = options.maxDepth ?? 64;
  // Agents repeat the same few argument names; the cache keeps the regex off the hot path.
  const seen = new Map<string, boolean>();
  const sensitive = (key: string): boolean => {
    let hit = seen.get(key);
    if (hit === undefined) {
      hit = matcher(key);
      if (seen.size < 10_000) seen.set(key, hit);
    }
    return hit;
  };

  const copy = (value: unknown, depth: number, ancestors: Set<object>): unknown => {
    if (value === null || typeof value !== 'object') return typeof value === 'bigint' ? value.toString() : value;
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function')
      return copy((value as { toJSON(): unknown }).toJSON(), depth, ancestors);
    if (ancestors.has(value)) return CIRCULAR;
    if (depth >= maxDepth) return TOO_DEEP;
    ancestors.add(value);
    let out: unknown;
    if (Array.isArray(value)) {
      const list = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) list[i] = copy(value[i], depth + 1, ancestors);
      out = list;
    } else {
      const record: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        record[key] = sensitive(key) ? REDACTED : copy((value as Record<string, unknown>)[key], depth + 1, ancestors);
      }
      out = record;
    }
    ancestors.delete(value);
    return out;
  };
  return (value) => copy(value, 0, new Set());
}

/**
 * One anchored, case-insensitive regex for all the globs. Not picomatch (the policy's tool-name
 * globs use it): it matches paths, so "/" and "\" in a key or pattern change the meaning, `*`
 * skips the empty name, "." and "..", and `?` is one UTF-16 unit; a key is one name of any characters.
 */
function keyMatcher(patterns: readonly string[]): (key: string) => boolean {
  if (patterns.length === 0) return () => false;
  const alternatives = patterns.map((glob) =>
    [...glob].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.+()[\]{}|/]/u, '\\$&'))).join(''),
  );
  const regex = new RegExp(`^(?:${alternatives.join('|')})$`, 'isu');
  return (key) => regex.test(key);
}
