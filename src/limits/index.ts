/**
 * Exact sliding-window rate limits in Redis, shared by every Airlock process: reserve all of a
 * call's limits atomically, release when the call never reaches the upstream. See README.md.
 * @module
 */
export {
  RateLimiter,
  type CounterUsage,
  type LimitedBy,
  type RateLimiterOptions,
  type Reservation,
  type ReservationEntry,
  type ReserveResult,
} from './rate-limiter.js';
export { LimitsUnavailableError } from './errors.js';
export { LimitSimulator } from './simulator.js';
export { rateLimitedMessage, type RateLimitedMessage } from './outcome.js';
