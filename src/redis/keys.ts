import { createHash } from 'node:crypto';
import type { Scope } from '../policy/index.js';

/**
 * Every Redis key, channel and BullMQ name Airlock uses, and the one rule for the deployment's
 * prefix. The prefix is one hash tag (`{airlock}`) that starts every key, so all keys of a
 * deployment hash to one Redis Cluster slot and any Lua script may touch several of them;
 * deployments sharing a Redis use different prefixes. Under the prefix:
 *
 *   :approval:<id>                 HASH    an approval's mutable state (changed only by its scripts)
 *   :approval-fp:<fingerprint>     STRING  the approval id a call with this fingerprint attaches to
 *   :approval-pending:<grant>      ZSET    id → expiresAt, the grant's pending approvals (max_pending)
 *   :approval-lease:<id>           STRING  executor id, with a TTL the executor keeps refreshing
 *   :approval-index                ZSET    id → createdAt, every approval (for list; pruned lazily)
 *   :approval-waiters:<id>         ZSET    holder → until: agents' requests held open on it now (refreshed)
 *   :approval-events               pub/sub {"id","version","state"} on every transition
 *   :limit:<counter>:grant:<grant>              ZSET  admission log, one member per admission
 *   :limit:<counter>:session:<grant>:<session>  ZSET
 *   :limit:<counter>:global                     ZSET
 *   :limit-meta:<same tail as its log>          HASH  retention and the limits that used it
 *   :audit                         STREAM  every audit event, field `e` = its JSON
 *   :slack-message:<approval id>   HASH    channel, ts, version (the approval version it shows), threaded, error…
 *   :slack-lock:<approval id>      STRING  one sender at a time per message (PX)
 *   :slack-paused-until            STRING  Slack's Retry-After, shared by every process
 *   :round-state-secret            STRING  the HMAC key that seals input_required requestState (made once, shared)
 *   :console-secret                STRING  the HMAC key of console session cookies and CSRF tokens (made once, shared)
 *   :console-login:<sha256 of token> STRING the console user a one-time login link logs in as (PX, GETDEL)
 *   :console-login-failures:<sha256 of subject> STRING failed console logins of a name or address (PX: the window)
 *   :round-relay:<process>         pub/sub a retry for a held call, to the process that holds it
 *   :round-reply:<process>         pub/sub its answer, back to the process the retry reached
 *   :approvals:…  :slack:…         BullMQ  the `approvals` and `slack` queues (same prefix)
 *
 * BullMQ keeps a queue's keys at `<prefix>:<queue>:…`, so no name of ours is a bare queue name
 * (`approval-…`, `slack-message:`). Grants, counters and session ids are percent-encoded
 * (everything but [A-Za-z0-9_.-]): a ":" cannot forge another key, no glob character reaches a
 * SCAN pattern.
 */

export const DEFAULT_PREFIX = '{airlock}';

/** What a valid prefix is, in words (for config errors and the TypeError below). */
export const PREFIX_RULE = 'one hash tag like "{airlock}": a name in braces, without "{", "}" or ":"';

/** The one prefix rule: exactly one hash tag, so every key is in one slot and none can hold a stray ":". */
export function isValidPrefix(prefix: string): boolean {
  return /^\{[^{}:]+\}$/u.test(prefix);
}

export function checkPrefix(prefix: string): string {
  if (!isValidPrefix(prefix))
    throw new TypeError(`the Redis key prefix must be ${PREFIX_RULE}; got ${JSON.stringify(prefix)}`);
  return prefix;
}

export function encodeSegment(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/gu, (ch) =>
    [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

export function decodeSegment(segment: string): string {
  return decodeURIComponent(segment);
}

/** The key of the deployment's requestState secret (every process seals and verifies with it). */
export function roundStateSecretKey(prefix: string = DEFAULT_PREFIX): string {
  return `${checkPrefix(prefix)}:round-state-secret`;
}

/** The key of the console's session secret (every process signs and verifies cookies with it). */
export function consoleSecretKey(prefix: string = DEFAULT_PREFIX): string {
  return `${checkPrefix(prefix)}:console-secret`;
}

/** Failed console logins of one subject ("name:<name>" or "address:<ip>"), by its SHA-256 (hex). */
export function consoleLoginFailuresKey(prefix: string, subjectSha256: string): string {
  return `${checkPrefix(prefix)}:console-login-failures:${subjectSha256}`;
}

/** A one-time console login link, by its token's SHA-256 (hex): the token itself is never stored. */
export function consoleLoginKey(prefix: string, tokenSha256: string): string {
  return `${checkPrefix(prefix)}:console-login:${tokenSha256}`;
}

/**
 * The binding of an upstream's task (MCP tasks extension) to the grant that created it: only that
 * grant's tasks/get|update|cancel reach the upstream. Task ids are the upstream's, of any length
 * and alphabet, so the key holds their SHA-256.
 */
export function taskBindingKey(grant: string, taskId: string, prefix: string = DEFAULT_PREFIX): string {
  const id = createHash('sha256').update(taskId).digest('hex');
  return `${checkPrefix(prefix)}:task:${encodeSegment(grant)}:${id}`;
}

/** Pub/sub channels of the held-call relay: requests to a process, replies to a process. */
export function roundRelayChannels(prefix: string = DEFAULT_PREFIX): {
  requests(process: string): string;
  replies(process: string): string;
} {
  checkPrefix(prefix);
  return {
    requests: (process) => `${prefix}:round-relay:${encodeSegment(process)}`,
    replies: (process) => `${prefix}:round-reply:${encodeSegment(process)}`,
  };
}

/** BullMQ queue names; their prefix is the deployment's. */
export const APPROVALS_QUEUE = 'approvals';
export const SLACK_QUEUE = 'slack';

export class ApprovalKeys {
  readonly approvalHead: string;
  readonly index: string;
  readonly channel: string;

  constructor(readonly prefix: string = DEFAULT_PREFIX) {
    checkPrefix(prefix);
    this.approvalHead = `${prefix}:approval:`;
    this.index = `${prefix}:approval-index`;
    this.channel = `${prefix}:approval-events`;
  }

  approval(id: string): string {
    return this.approvalHead + id;
  }

  fingerprint(fingerprint: string): string {
    return `${this.prefix}:approval-fp:${fingerprint}`;
  }

  pending(grant: string): string {
    return `${this.prefix}:approval-pending:${encodeSegment(grant)}`;
  }

  lease(id: string): string {
    return `${this.prefix}:approval-lease:${id}`;
  }

  waiters(id: string): string {
    return `${this.prefix}:approval-waiters:${id}`;
  }
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

export class LimitKeys {
  private readonly logHead: string;
  private readonly metaHead: string;

  constructor(readonly prefix: string = DEFAULT_PREFIX) {
    checkPrefix(prefix);
    this.logHead = `${prefix}:limit:`;
    this.metaHead = `${prefix}:limit-meta:`;
  }

  /** The admission log of `counter` for this caller at this scope. */
  log(counter: string, scope: Scope, who: CallerIds): string {
    return this.logHead + logTail(counter, scope, who);
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
    return scanPattern(this.logHead, counter);
  }

  /** The same for meta keys (a meta key outlives its log when every entry was released). */
  metaPattern(counter?: string): string {
    return scanPattern(this.metaHead, counter);
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

function logTail(counter: string, scope: Scope, who: CallerIds): string {
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

function scanPattern(head: string, counter: string | undefined): string {
  const escaped = head.replace(/[*?[\]\\]/gu, (ch) => `\\${ch}`);
  return counter === undefined ? `${escaped}*` : `${escaped}${encodeSegment(counter)}:*`;
}

/** The audit stream: `<prefix>:audit`. */
export function auditStreamKey(prefix: string): string {
  return `${checkPrefix(prefix)}:audit`;
}

/** The one field of each audit stream entry: the event's JSON (appendAuditEvents-1.lua writes it). */
export const AUDIT_STREAM_FIELD = 'e';

export class SlackKeys {
  /** Slack's Retry-After, shared by every process and every job. */
  readonly pausedUntil: string;

  constructor(readonly prefix: string = DEFAULT_PREFIX) {
    checkPrefix(prefix);
    this.pausedUntil = `${prefix}:slack-paused-until`;
  }

  /** Where an approval's Slack message lives (channel, ts, the version it shows, errors). */
  message(approvalId: string): string {
    return `${this.prefix}:slack-message:${approvalId}`;
  }

  /** One sender at a time per message. */
  lock(approvalId: string): string {
    return `${this.prefix}:slack-lock:${approvalId}`;
  }
}
