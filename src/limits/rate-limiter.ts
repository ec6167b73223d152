import { randomBytes } from 'node:crypto';
import type { NormalizedLimit, Scope } from '../policy/index.js';
import {
  evalScript,
  LimitKeys,
  releaseLimits,
  ReserveCode,
  reserveLimits,
  runScript,
  type CallerIds,
  type RedisClient,
} from '../redis/index.js';
import { LimitsUnavailableError } from './errors.js';
import { readUsage, resetCounter } from './usage.js';

/** One admission: the member added to one counter log. */
export interface ReservationEntry {
  key: string;
  member: string;
}

/**
 * What `release()` needs to give the slots back: plain JSON, so another process can roll the
 * reservation back later (an approval keeps it in its job until the call runs or is dropped).
 */
export interface Reservation {
  entries: ReservationEntry[];
  /** Redis time of the admission, in µs since the epoch; absent when no limit applied. */
  admittedAtUs?: number;
}

/** The limit that refused a call (the one that frees last, when several are full). */
export interface LimitedBy {
  counter: string;
  max: number;
  window: string;
  windowMs: number;
  scope: Scope;
  rule: string;
  /** Exact: when the entry that must leave this window leaves it. */
  retryAfterMs: number;
}

export type ReserveResult = { ok: true; reservation: Reservation } | { ok: false; limited: LimitedBy };

/** One limit's view of one counter log, for `airlock limits show`. */
export interface CounterUsage {
  counter: string;
  scope: Scope;
  /** The grant (grant scope), the session id (session scope), "" (global). */
  scopeId: string;
  /** The grant a grant- or session-scoped counter belongs to. */
  grant?: string;
  /** Admissions in the current window. */
  used: number;
  max: number;
  window: string;
  windowMs: number;
  /** When the oldest admission in the window leaves it (ISO); null when the window is empty. */
  resetsAt: string | null;
  key: string;
}

export interface RateLimiterOptions {
  /** Key prefix holding the hash tag; default `{airlock}`. Tests use their own. */
  prefix?: string;
  /**
   * Upper bound on one Redis round trip before the call is refused (default 2000 ms). The
   * request client's own commandTimeout normally fires first; this bounds any client.
   */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 2_000;

/**
 * Exact sliding-window rate limits shared by every Airlock process on one Redis: every limit a
 * call is subject to is checked and consumed together in one Lua script, on Redis's clock.
 * Algorithm, exactness and memory: src/limits/README.md.
 */
export class RateLimiter {
  readonly keys: LimitKeys;
  private readonly timeoutMs: number;

  constructor(
    private readonly redis: RedisClient,
    options: RateLimiterOptions = {},
  ) {
    this.keys = new LimitKeys(options.prefix);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * Admit the call under all `limits` or under none. Throws `LimitsUnavailableError` (within
   * `timeoutMs`) when Redis cannot answer: the caller must refuse the call.
   */
  async reserve(limits: readonly NormalizedLimit[], who: CallerIds): Promise<ReserveResult> {
    if (limits.length === 0) return { ok: true, reservation: { entries: [] } };
    const logs: string[] = [];
    const args: (string | number)[] = [];
    for (const limit of limits) {
      checkLimit(limit);
      const key = this.keys.log(limit.counter, limit.scope, who);
      let index = logs.indexOf(key);
      if (index < 0) index = logs.push(key) - 1;
      args.push(index + 1, limit.windowMs, limit.max, limit.window);
    }
    const member = randomBytes(12).toString('base64url');
    const keys = logs.flatMap((log) => [log, this.keys.metaOf(log)]);
    const reservation = { entries: logs.map((key) => ({ key, member })) };
    const work = runScript(this.redis, reserveLimits, keys, [member, limits.length, ...args]);
    let reply: unknown;
    try {
      reply = await this.bounded('the rate limits of this call could not be checked, so it was refused', work);
    } catch (error) {
      // The script may still run, or may have run with its reply lost. A release sent now on the
      // same connection runs after it; one more once it answers covers a late answer.
      const giveBack = () => void this.release(reservation).catch(() => {});
      giveBack();
      work.then(giveBack, () => {});
      throw error;
    }
    return this.reserveResult(reply, limits, logs, member);
  }

  /** Give the slots back (the call never reached the upstream). Releasing twice is harmless. */
  async release(reservation: Reservation): Promise<void> {
    if (reservation.entries.length === 0) return;
    const keys = reservation.entries.map((e) => e.key);
    const members = reservation.entries.map((e) => e.member);
    // EVAL, not EVALSHA: a NOSCRIPT round trip would let a later command overtake the release.
    await this.bounded('the reservation could not be released', evalScript(this.redis, releaseLimits, keys, members));
  }

  /** Current use of every counter (of one grant: its grant- and session-scoped counters). */
  usage(filter: { grant?: string } = {}): Promise<CounterUsage[]> {
    return this.bounded('rate-limit counters could not be read', readUsage(this.redis, this.keys, filter));
  }

  /** Forget a counter's admissions (of one grant, or everywhere). Resolves to the keys deleted. */
  reset(counter: string, filter: { grant?: string } = {}): Promise<number> {
    return this.bounded(
      `counter "${counter}" could not be reset`,
      resetCounter(this.redis, this.keys, counter, filter),
    );
  }

  private reserveResult(
    reply: unknown,
    limits: readonly NormalizedLimit[],
    logs: string[],
    member: string,
  ): ReserveResult {
    if (!Array.isArray(reply)) throw new Error(`reserveLimits: unexpected reply ${JSON.stringify(reply)}`);
    const [code, a, b] = reply as number[];
    if (code === ReserveCode.Admitted) {
      return { ok: true, reservation: { entries: logs.map((key) => ({ key, member })), admittedAtUs: Number(a) } };
    }
    const limit = code === ReserveCode.LimitExceeded && a !== undefined ? limits[a - 1] : undefined;
    if (limit === undefined || b === undefined)
      throw new Error(`reserveLimits: unexpected reply ${JSON.stringify(reply)}`);
    const { counter, max, window, windowMs, scope, rule } = limit;
    return { ok: false, limited: { counter, max, window, windowMs, scope, rule, retryAfterMs: b } };
  }

  private bounded<T>(what: string, work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new LimitsUnavailableError(what, new Error(`no answer within ${this.timeoutMs} ms`)));
      }, this.timeoutMs);
      work.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof LimitsUnavailableError ? error : new LimitsUnavailableError(what, error));
        },
      );
    });
  }
}

function checkLimit(limit: NormalizedLimit): void {
  if (
    !Number.isSafeInteger(limit.windowMs) ||
    limit.windowMs <= 0 ||
    !Number.isSafeInteger(limit.max) ||
    limit.max < 1
  ) {
    throw new TypeError(`invalid limit at ${limit.rule}: window ${limit.windowMs} ms, max ${limit.max}`);
  }
}
