/**
 * What every boundary shares: the one error family, the outcome vocabulary agents see, durations,
 * canonical JSON, logging, JSON file reading with located errors, and the pid lock.
 * @module
 */
export { AirlockError, describeError, type AirlockErrorCode } from './errors.js';
export {
  OUTCOME_STATUSES,
  agentOutcome,
  type AgentOutcome,
  type OutcomeDetails,
  type OutcomeStatus,
} from './outcome.js';
export {
  DURATION_PATTERN,
  NAMED_WINDOWS,
  parseDuration,
  formatDuration,
  retryAfterText,
  windowText,
  formatSpan,
  formatClock,
} from './duration.js';
export { durationSchema } from './duration-schema.js';
export { canonicalJson } from './canonical-json.js';
export { createLogger, silentLogger, type Logger } from './logger.js';
export { parseJsonText } from './json-file.js';
export { findJsonSyntaxError, type JsonSyntaxError } from './json-syntax.js';
export { jsonPointer, formatIssues } from './zod-issues.js';
export { tryLock, withLock, readOwner, isRunning, type PidLock, type LockOptions, type LockOwner } from './pid-lock.js';
