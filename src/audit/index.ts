/**
 * The audit trail: events for every call, redacted, to a hash-chained JSONL file (the record of
 * truth), a Redis stream and Slack audit lines; `verify` for the chain. See README.md.
 * @module
 */
export { AuditLog, type AuditLogOptions, type AuditObserver, type ApprovalInput } from './audit-log.js';
export { CallTrail, type CallInput, type EmitDetails, type ObservedEvent, type TrailEventType } from './trail.js';
export { type ArgsPreview } from './args-preview.js';
export {
  AUDIT_DECISIONS,
  AuditEventSchema,
  type AuditDecision,
  type AuditDetails,
  type AuditEvent,
  type AuditEventOf,
  type AuditEventType,
} from './events.js';
export { createRedactor, type Redactor } from './redact.js';
export { type AuditLineSink } from './slack-lines.js';
export { verifyAuditFiles, formatVerifyResult, type VerifyResult, type VerifyProblem } from './verify.js';
export { listChains, describeSource, isDirectory, type AuditChain, type ChainSource } from './chains.js';
export { followChains } from './follow.js';
export {
  matchesQuery,
  formatEvent,
  describeEvent,
  parseDecision,
  parseSince,
  parseTypes,
  type AuditQuery,
} from './query.js';
export { followStream, readChainEvents, readStreamEvents, tailChainEvents, tailStreamEvents } from './reader.js';
export { sourceEvents, type AuditSource } from './source.js';
