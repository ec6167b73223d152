import { agentOutcome, type AgentOutcome } from '../shared/outcome.js';
import type { LimitedBy } from './rate-limiter.js';

/** What the agent reads when a limit refuses its call. */
export type RateLimitedMessage = AgentOutcome<'rate_limited'>;

export function rateLimitedMessage(limited: Pick<LimitedBy, 'counter' | 'max' | 'window' | 'scope' | 'retryAfterMs'>): RateLimitedMessage {
  const { counter, max, window, scope, retryAfterMs } = limited;
  const calls = max === 1 ? '1 call' : `${max} calls`;
  return agentOutcome(
    'rate_limited',
    `Rate limited: counter ${JSON.stringify(counter)} allows ${calls} per ${window} (scope: ${scope}). Retry after ${retryAfterText(retryAfterMs)}.`,
    { counter, max, window, retry_after_ms: retryAfterMs },
  );
}

/** Rounded up, so an agent that waits as told is never early: "12 s", "3 min", "2 h 5 min". */
export function retryAfterText(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1_000));
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}
