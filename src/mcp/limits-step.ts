import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { LimitsUnavailableError, rateLimitedMessage, type RateLimiter, type Reservation } from '../limits/index.js';
import type { CallTrail } from '../audit/index.js';
import type { Decision } from '../policy/index.js';
import type { Logger } from '../shared/logger.js';
import type { Caller } from './call-context.js';
import { outcome } from './outcomes.js';

export type ReserveStep = { ok: true; reservation: Reservation } | { ok: false; result: CallToolResult };

/** Step 4 of the call path: reserve every limit of the call, or answer why not. */
export async function reserveLimits(limiter: RateLimiter, decision: Decision, caller: Caller, log: Logger, trail: CallTrail): Promise<ReserveStep> {
  const context = { grant: caller.grant.name, session: caller.sessionId, rule: decision.rule };
  try {
    const reserved = await limiter.reserve(decision.limits, { grant: caller.grant.name, session: caller.sessionId });
    if (reserved.ok) return reserved;
    const { counter, max, window, retryAfterMs, rule } = reserved.limited;
    log.info({ ...context, counter, retry_after_ms: retryAfterMs }, 'rate limited');
    void trail.emit('call.rate_limited', { counter, max, window, retry_after_ms: retryAfterMs, rule });
    const message = rateLimitedMessage(reserved.limited);
    return { ok: false, result: { content: [{ type: 'text', text: message.text }], structuredContent: message.structuredContent, isError: true } };
  } catch (error) {
    if (!(error instanceof LimitsUnavailableError)) throw error;
    log.error({ ...context, err: error.message }, 'rate limits unavailable; call refused');
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
