import type { CallTrail } from '../audit/index.js';
import type { RateLimiter } from '../limits/index.js';
import { evaluate, shadowOnlyLimits, shadowVerdict, type CompiledPolicy, type Decision } from '../policy/index.js';
import { describeError, type Logger } from '../shared/index.js';

/** Shadow limits count on their own logs: `shadow:<counter>`, never the real counter's. */
export const SHADOW_COUNTER_PREFIX = 'shadow:';

export interface ShadowCall {
  policy: CompiledPolicy;
  decision: Decision;
  server: string;
  tool: string;
  args: Record<string, unknown>;
  grant: string;
  session: string;
  trail: Pick<CallTrail, 'emit'>;
}

/**
 * What the policy's shadow parts would have done with this call (policy/shadow.ts), audited as
 * `policy.shadowed`: would deny, would hold for approval, would allow, or would rate-limit (its
 * limits counted on shadow counters). It never changes the call, and a failure here (Redis down
 * for a shadow counter) is logged, not felt.
 */
export async function auditShadow(limiter: RateLimiter, call: ShadowCall, log: Logger): Promise<void> {
  const full = call.policy.shadow;
  if (full === undefined) return;
  try {
    const shadow = evaluate(full, { server: call.server, tool: call.tool, args: call.args });
    const limited = await shadowLimited(limiter, call, shadow);
    if (limited !== undefined) return void (await call.trail.emit('policy.shadowed', limited));
    const verdict = shadowVerdict(call.decision, shadow);
    if (verdict !== undefined) await call.trail.emit('policy.shadowed', verdict);
  } catch (error) {
    log.warn({ tool: call.tool, err: describeError(error) }, 'shadow evaluation failed (the call is unaffected)');
  }
}

async function shadowLimited(limiter: RateLimiter, call: ShadowCall, shadow: Decision) {
  const limits = shadowOnlyLimits(call.decision, shadow).map((limit) => ({
    ...limit,
    counter: `${SHADOW_COUNTER_PREFIX}${limit.counter}`,
  }));
  if (limits.length === 0) return undefined;
  const reserved = await limiter.reserve(limits, { grant: call.grant, session: call.session });
  if (reserved.ok) return undefined;
  const { counter, max, window, retryAfterMs, rule } = reserved.limited;
  return {
    would: 'limit' as const,
    rule,
    counter: counter.slice(SHADOW_COUNTER_PREFIX.length),
    max,
    window,
    retry_after_ms: retryAfterMs,
  };
}
