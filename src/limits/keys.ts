import type { Scope } from '../policy/schema.js';

/**
 * Every Redis key the rate limiter reads or writes. All of them start with the prefix, which
 * holds a hash tag (`{airlock}`), so one script may touch several of them on Redis Cluster too.
 *
 *   <prefix>:limit:<counter>:grant:<grant>               ZSET  admission log, one member per admission
 *   <prefix>:limit:<counter>:session:<grant>:<session>   ZSET
 *   <prefix>:limit:<counter>:global                      ZSET
 *   <prefix>:limit-meta:<same tail as its log>           HASH  retention and the limits that used it
 *
 * Counter names, grants and session ids are percent-encoded (everything but [A-Za-z0-9_.-]), so a
 * ":" in a name cannot forge another key and no glob character reaches a SCAN pattern.
 */
export const DEFAULT_PREFIX = '{airlock}';

export function encodeSegment(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/gu, (ch) =>
    [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

export function decodeSegment(segment: string): string {
  return decodeURIComponent(segment);
}

/** Who a call is: the ids that grant- and session-scoped counters are kept per. */
export interface CallerIds {
  grant: string;
  session: string;
}

export interface ParsedLogKey {
  counter: string;
  scope: Scope;
  /** The grant (grant scope), the session (session scope), "" for global. */
  scopeId: string;
  /** The grant a grant- or session-scoped log belongs to. */
  grant?: string;
}

const GLOB_SPECIALS = /[*?[\]\\]/gu;

export class LimitKeys {
  private readonly logHead: string;
  private readonly metaHead: string;

  constructor(readonly prefix: string = DEFAULT_PREFIX) {
    if (prefix.length === 0) throw new TypeError('the Redis key prefix must not be empty');
    this.logHead = `${prefix}:limit:`;
    this.metaHead = `${prefix}:limit-meta:`;
  }

  /** The admission log of `counter` for this caller at this scope. */
  log(counter: string, scope: Scope, who: CallerIds): string {
    return this.logHead + tail(counter, scope, who);
  }

  /** The companion hash of a log key (same tail, so same lifetime and same slot). */
  metaOf(logKey: string): string {
    if (!logKey.startsWith(this.logHead)) throw new TypeError(`not a limit log key: ${logKey}`);
    return this.metaHead + logKey.slice(this.logHead.length);
  }

  /** The log key a meta key belongs to, or undefined for a key that is not a meta key. */
  logOfMeta(metaKey: string): string | undefined {
    return metaKey.startsWith(this.metaHead) ? this.logHead + metaKey.slice(this.metaHead.length) : undefined;
  }

  /** A SCAN MATCH pattern for every log, or every log of one counter. */
  logPattern(counter?: string): string {
    return pattern(this.logHead, counter);
  }

  /** The same for meta keys (a meta key outlives its log when every entry was released). */
  metaPattern(counter?: string): string {
    return pattern(this.metaHead, counter);
  }

  /** The parts of a log key, or undefined for a key that is not one. */
  parseLog(key: string): ParsedLogKey | undefined {
    if (!key.startsWith(this.logHead)) return undefined;
    const [counter, scope, a, b, ...rest] = key.slice(this.logHead.length).split(':');
    if (counter === undefined || rest.length > 0) return undefined;
    if (scope === 'global' && a === undefined) return { counter: decodeSegment(counter), scope, scopeId: '' };
    if (scope === 'grant' && a !== undefined && b === undefined) {
      const grant = decodeSegment(a);
      return { counter: decodeSegment(counter), scope, scopeId: grant, grant };
    }
    if (scope === 'session' && a !== undefined && b !== undefined) {
      return { counter: decodeSegment(counter), scope, scopeId: decodeSegment(b), grant: decodeSegment(a) };
    }
    return undefined;
  }
}

function tail(counter: string, scope: Scope, who: CallerIds): string {
  const c = encodeSegment(counter);
  switch (scope) {
    case 'global':
      return `${c}:global`;
    case 'grant':
      return `${c}:grant:${encodeSegment(who.grant)}`;
    case 'session':
      return `${c}:session:${encodeSegment(who.grant)}:${encodeSegment(who.session)}`;
  }
}

function pattern(head: string, counter: string | undefined): string {
  return counter === undefined ? `${escapeGlob(head)}*` : `${escapeGlob(head)}${encodeSegment(counter)}:*`;
}

function escapeGlob(text: string): string {
  return text.replace(GLOB_SPECIALS, (ch) => `\\${ch}`);
}
