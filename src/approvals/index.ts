/**
 * Held calls: the approval engine (Redis + BullMQ), the MCP-agnostic hold, agent-facing texts.
 * States, keys and the exactly-once argument: src/approvals/README.md.
 */
export { ApprovalEngine } from './engine.js';
export type {
  ApprovalEngineOptions,
  ApprovalEvents,
  ApprovalRequestInput,
  BeginResult,
  DecideEffect,
  DecideResult,
  DecidedEvent,
  RequestResult,
  TaskRunner,
} from './engine-types.js';
export { executeOnce, holdForDecision, type ExecuteCall, type HoldOptions, type HoldOutcome } from './hold.js';
export {
  ApprovalError,
  isApprovalError,
  type AlreadyDecidedDetails,
  type ApprovalErrorCode,
  type MaxPendingDetails,
} from './errors.js';
export {
  ApprovalStateSchema,
  type ApprovalChange,
  type ApprovalState,
  type ApprovalView,
  type ExecutionOutcome,
} from './schema.js';
export {
  maxPendingMessage,
  messageForOutcome,
  taskStatusMessage,
  type AgentMessage,
  type AgentStatus,
} from './messages.js';
export { isoTime } from './format.js';
export { authorizeDecision, type GroupResolver } from './authorize.js';
