import type { NormalizedApproval } from '../policy/index.js';
import type { RedisClients } from '../redis/index.js';
import type { Logger } from '../shared/index.js';
import type { GroupResolver } from './authorize.js';
import type { ApprovalChange, ApprovalView } from './schema.js';

/** The engine's options, inputs, results and events (types only). */

export interface ApprovalEngineOptions {
  /** The connections to use (src/redis `RedisConnections`); the caller closes them after the engine. */
  redis: RedisClients;
  /** Key prefix holding a hash tag; also the BullMQ prefix. Default `{airlock}`. */
  prefix?: string;
  /** How long closed approvals, stored results and completed jobs are kept. Default 24 h. */
  retentionMs?: number;
  /** Execution lease; the executor refreshes it every third of this. Default 15 s. */
  leaseMs?: number;
  log: Logger;
  /** Gives back a held call's rate-limit reservation (the call will never reach the upstream). */
  releaseReservation?: (reservation: unknown) => Promise<void>;
  /** Members of a group id listed in `approvers`; the default knows no groups. */
  resolveGroupMembers?: GroupResolver;
  /** Run the BullMQ worker that expires approvals (every gateway: yes; the CLI: no). Default true. */
  processJobs?: boolean;
  /** Worker concurrency. Default 16. */
  concurrency?: number;
}

/** One call that needs approval, as the gateway knows it after policy evaluation and reservation. */
export interface ApprovalRequestInput {
  grant: string;
  /** The grant's owner (self-approval rule). */
  owner?: string;
  /** The grant's max_pending. */
  maxPending: number;
  server: string;
  /** The upstream's own tool name. */
  tool: string;
  args: unknown;
  /** The policy rule that required approval (JSON pointer). */
  rule: string;
  reason?: string;
  approval: NormalizedApproval;
  /** The call's rate-limit reservation (opaque JSON). The engine owns it from here on: it is
   * released when the call will not run (denied, expired, withdrawn, refused, or a re-attach). */
  reservation?: unknown;
  /**
   * The agent waits as an MCP task: once approved, the approval's job runs the call in whichever
   * process takes it (`ApprovalEngine.runTasksWith`). An approval this attaches to becomes a task too.
   */
  task?: boolean;
  /** The audit call id of the call opening it. */
  callId?: string;
}

/** Runs an approved task's call in this process (it begins the execution itself, exactly once). */
export type TaskRunner = (approval: ApprovalView) => Promise<void>;

export interface RequestResult {
  kind: 'created' | 'attached';
  approval: ApprovalView;
}

export type DecideEffect = 'approved' | 'denied' | 'approval_counted' | 'already_approved_by_you';

export interface DecideResult {
  effect: DecideEffect;
  approval: ApprovalView;
}

export type BeginResult =
  { started: true; executor: string; approval: ApprovalView } | { started: false; approval: ApprovalView };

export interface DecidedEvent {
  approval: ApprovalView;
  decision: 'approve' | 'deny';
  approver: string;
  /** false: an approval was counted and more are needed (min_approvals > 1). */
  final: boolean;
}

/**
 * Events of transitions made by this process (each fires in exactly one process), plus `change`:
 * every transition by any process, from the pub/sub channel.
 */
export type ApprovalEvents = {
  requested: [ApprovalView];
  decided: [DecidedEvent];
  expired: [ApprovalView];
  withdrawn: [ApprovalView];
  executed: [ApprovalView];
  /** The approval's job completed in this process's worker (once per approval): its final decision is known. */
  settled: [ApprovalView];
  change: [ApprovalChange];
};
