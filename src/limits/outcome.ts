import { retryAfterText, agentOutcome, type AgentOutcome } from '../shared/index.js';
import type { LimitedBy } from './rate-limiter.js';

/** What the agent reads when a limit refuses its call. */
export type RateLimitedMessage = AgentOutcome<'rate_limited'>;

export function rateLimitedMessage(
  limited: Pick<LimitedBy, 'counter' | 'max' | 'window' | 'scope' | 'retryAfterMs'>,
): RateLimitedMessage {
  const { counter, max, window, scope, retryAfterMs } = limited;
  const calls = max === 1 ? '1 call' : `${max} calls`;
  return agentOutcome(
    'rate_limited',
    `Rate limited: counter ${JSON.stringify(counter)} allows ${calls} per ${window} (scope: ${scope}). Retry after ${retryAfterText(retryAfterMs)}.`,
    { counter, max, window, retry_after_ms: retryAfterMs },
  );
}
