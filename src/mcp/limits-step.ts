import type { CallToolResult } from '@modelcontextprotocol/server';
import { LimitsUnavailableError, rateLimitedMessage, type RateLimiter, type Reservation } from '../limits/index.js';
import { logContext, type CallContext } from './call-context.js';
import { outcome, toToolResult } from './outcomes.js';

export type ReserveStep = { ok: true; reservation: Reservation } | { ok: false; result: CallToolResult };

/** Step 4 of the call path: reserve every limit of the call, or answer why not. */
export async function reserveLimits(limiter: RateLimiter, call: CallContext): Promise<ReserveStep> {
  const { caller, decision, trail, log } = call;
  try {
    const reserved = await limiter.reserve(decision.limits, { grant: caller.grant.name, session: caller.sessionId });
    if (reserved.ok) return reserved;
    const { counter, max, window, retryAfterMs, rule } = reserved.limited;
    log.info({ ...logContext(call), counter, retry_after_ms: retryAfterMs }, 'rate limited');
    void trail.emit('call.rate_limited', { counter, max, window, retry_after_ms: retryAfterMs, rule });
    return { ok: false, result: toToolResult(rateLimitedMessage(reserved.limited)) };
  } catch (error) {
    if (!(error instanceof LimitsUnavailableError)) throw error;
    log.error({ ...logContext(call), err: error.message }, 'rate limits unavailable; call refused');
    void trail.emit('call.refused', { reason: 'limits_unavailable', error: error.message });
    return {
      ok: false,
      result: outcome(
        'unavailable',
        `Refused: this call is rate-limited by rule ${decision.rule} and Airlock cannot reach its counter store (Redis) right now, so it fails closed. Try again shortly.`,
        { rule: decision.rule, reason: 'limits_unavailable' },
      ),
    };
  }
}
