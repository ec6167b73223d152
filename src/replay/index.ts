/**
 * Replay: a candidate policy over the past tool calls of the audit trail, decision by decision,
 * its rate limits simulated with the live limiter's rule; no upstream is called.
 * @module
 */
export { replay, type ReplayChange, type ReplayOptions, type ReplayOutcome, type ReplayReport } from './replay.js';
