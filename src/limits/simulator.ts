import type { NormalizedLimit } from '../policy/index.js';
import type { CallerIds } from '../redis/index.js';
import type { LimitedBy } from './rate-limiter.js';

/**
 * The live limiter's rule (src/redis/scripts/reserveLimits.lua) in memory, for `airlock replay`:
 * a call is admitted only when every limit has fewer than `max` admissions in `(t − window, t]`,
 * and then it adds one entry to every distinct log it touches (limits on the same counter and
 * scope share a log); a refusal consumes nothing and names the limit that frees last, with the
 * same exact retry-after. Times are the audit trail's (milliseconds), fed in order.
 */
export class LimitSimulator {
  private readonly logs = new Map<string, number[]>();
  /** Per log, the longest window that read it: older entries can never count again (as in the script). */
  private readonly keep = new Map<string, number>();

  reserve(
    limits: readonly NormalizedLimit[],
    who: CallerIds,
    atMs: number,
  ): { ok: true } | { ok: false; limited: LimitedBy } {
    const keyed = limits.map((limit) => ({ limit, key: logKey(limit, who) }));
    for (const { limit, key } of keyed) this.keep.set(key, Math.max(this.keep.get(key) ?? 0, limit.windowMs));
    for (const key of new Set(keyed.map((k) => k.key))) this.trim(key, atMs);
    let refused: LimitedBy | undefined;
    for (const { limit, key } of keyed) {
      const inWindow = (this.logs.get(key) ?? []).filter((t) => t > atMs - limit.windowMs);
      if (inWindow.length < limit.max) continue;
      // used − max + 1 entries must leave; the last of them is at offset used − max.
      const retryAfterMs = Math.ceil(inWindow[inWindow.length - limit.max]! + limit.windowMs - atMs);
      if (refused === undefined || retryAfterMs > refused.retryAfterMs)
        refused = {
          counter: limit.counter,
          max: limit.max,
          window: limit.window,
          windowMs: limit.windowMs,
          scope: limit.scope,
          rule: limit.rule,
          retryAfterMs,
        };
    }
    if (refused !== undefined) return { ok: false, limited: refused };
    for (const key of new Set(keyed.map((k) => k.key))) {
      const log = this.logs.get(key) ?? [];
      log.push(atMs);
      this.logs.set(key, log);
    }
    return { ok: true };
  }

  private trim(key: string, atMs: number): void {
    const log = this.logs.get(key);
    const keep = this.keep.get(key)!;
    let drop = 0;
    while (log !== undefined && drop < log.length && log[drop]! <= atMs - keep) drop++;
    if (drop > 0) log!.splice(0, drop);
  }
}

function logKey(limit: NormalizedLimit, who: CallerIds): string {
  switch (limit.scope) {
    case 'global':
      return `${limit.counter}\u0000global`;
    case 'grant':
      return `${limit.counter}\u0000grant\u0000${who.grant}`;
    case 'session':
      return `${limit.counter}\u0000session\u0000${who.grant}\u0000${who.session}`;
  }
}
