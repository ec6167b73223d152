import { formatClock, agentOutcome, type AgentOutcome } from '../shared/index.js';
import type { MaxPendingDetails } from './errors.js';
import { isoTime } from './format.js';
import type { ApprovalView } from './schema.js';

/**
 * What the agent reads when a held call does not (yet) return the upstream's own result, in the
 * one outcome vocabulary (src/shared/outcome.ts). Pure; the gateway turns them into results.
 */
export type AgentStatus = 'denied' | 'expired' | 'withdrawn' | 'pending' | 'unknown' | 'max_pending';
export type AgentMessage = AgentOutcome<AgentStatus>;

const message = agentOutcome;

export function deniedMessage(view: ApprovalView): AgentMessage {
  const by = view.decidedBy ?? 'an approver';
  const at = view.decidedAt === undefined ? '' : ` at ${isoTime(view.decidedAt)}`;
  const why = view.decisionReason ? `: ${view.decisionReason}` : '';
  return message(
    'denied',
    `Denied by ${by}${at}${why}. A human rejected this ${view.tool} call (approval ${view.id}); it was not run. ` +
      'Do not repeat it unchanged; ask the user how to proceed.',
    {
      approval_id: view.id,
      decided_by: view.decidedBy ?? null,
      decided_at: view.decidedAt === undefined ? null : isoTime(view.decidedAt),
      reason: view.decisionReason ?? null,
    },
  );
}

export function expiredMessage(view: ApprovalView): AgentMessage {
  const text =
    `expired: no decision within ${view.timeout}. No human decided on this ${view.tool} call (approval ${view.id}) ` +
    `before ${isoTime(view.expiresAt)}; it was not run. If it is still needed, call the tool again to request a new approval.`;
  return message('expired', text, { approval_id: view.id, expires_at: isoTime(view.expiresAt), timeout: view.timeout });
}

export function withdrawnMessage(view: ApprovalView): AgentMessage {
  const by = view.decidedBy ?? 'an operator';
  const at = view.decidedAt === undefined ? '' : ` at ${isoTime(view.decidedAt)}`;
  const why = view.decisionReason ? `: ${view.decisionReason}` : '';
  return message(
    'withdrawn',
    `Withdrawn by ${by}${at}${why}. The request to run this ${view.tool} call (approval ${view.id}) was taken back; it was not run.`,
    {
      approval_id: view.id,
      withdrawn_by: view.decidedBy ?? null,
      withdrawn_at: view.decidedAt === undefined ? null : isoTime(view.decidedAt),
      reason: view.decisionReason ?? null,
    },
  );
}

/**
 * The hold window ended without a result. `toolName` is the name the agent called (it may carry
 * an upstream prefix); defaults to the upstream's own name.
 */
export function pendingMessage(view: ApprovalView, options: { toolName?: string; now?: number } = {}): AgentMessage {
  const tool = options.toolName ?? view.tool;
  const again = `call ${tool} again with exactly the same arguments`;
  const expires = formatClock(view.expiresAt, options.now);
  const text =
    view.state === 'pending'
      ? `Awaiting human approval (approval ${view.id}, ${approversText(view)}; expires ${expires}). The call has not run yet. ` +
        `To collect the decision, ${again}: you get the tool's result once it is approved, or the denial. ` +
        'Different arguments would ask for a separate approval.'
      : view.state === 'approved'
        ? `Approved by ${view.decidedBy ?? 'an approver'} (approval ${view.id}); the call has not run yet. To run it and get its result, ${again}.`
        : `Approved (approval ${view.id}) and being run by another request right now. To collect its result, ${again}.`;
  return message('pending', text, {
    approval_id: view.id,
    approval_state: view.state,
    expires_at: isoTime(view.expiresAt),
  });
}

export function unknownMessage(view: ApprovalView): AgentMessage {
  return message(
    'unknown',
    `Outcome unknown: the approved ${view.tool} call (approval ${view.id}) was started, but the Airlock process running it stopped ` +
      'before it finished. It may or may not have taken effect, and Airlock will not run it again. Check the target system before doing anything else.',
    { approval_id: view.id },
  );
}

export function maxPendingMessage(details: MaxPendingDetails): AgentMessage {
  return message(
    'max_pending',
    `Refused: grant ${details.grant} already has ${details.pending} calls awaiting human approval (max_pending ${details.maxPending}). ` +
      'Wait for those to be decided or to expire before making more calls that need approval.',
    { grant: details.grant, max_pending: details.maxPending, pending: details.pending },
  );
}

/** The notifications/progress text while held: "Awaiting approval by U0123ABCD (1 of 1 needed); expires 14:32 UTC; approval apr_…". */
export function progressMessage(view: ApprovalView, now: number = Date.now()): string {
  const where = view.channel ? ` in ${view.channel}` : '';
  return `Awaiting approval by ${approversText(view)}${where}; expires ${formatClock(view.expiresAt, now)}; approval ${view.id}`;
}

/**
 * An approval task's `statusMessage`, for an operator and a model alike: "Awaiting approval by
 * U0123ABCD in #ml-approvals (0 of 1); expires 14:32 UTC; approval apr_…", then what happened.
 */
export function taskStatusMessage(view: ApprovalView, now: number = Date.now()): string {
  const by = view.decidedBy ?? 'an approver';
  switch (view.state) {
    case 'pending': {
      const where = view.channel ? ` in ${view.channel}` : '';
      const who = approverNames(view);
      return `Awaiting approval by ${who}${where} (${view.approvals.length} of ${view.minApprovals}); expires ${formatClock(view.expiresAt, now)}; approval ${view.id}`;
    }
    case 'approved':
      return `Approved by ${by}; starting the call; approval ${view.id}`;
    case 'executing':
      return `Approved by ${by}; the call is running upstream; approval ${view.id}`;
    case 'executed':
      return executedStatus(view, by);
    case 'denied':
      return deniedMessage(view).text;
    case 'expired':
      return expiredMessage(view).text;
    case 'withdrawn':
      return withdrawnMessage(view).text;
  }
}

function executedStatus(view: ApprovalView, by: string): string {
  switch (view.outcome) {
    case 'unknown':
      return unknownMessage(view).text;
    case 'failed':
      return `Approved by ${by}; the upstream answered the call with an error; approval ${view.id}`;
    case 'error':
      return `Approved by ${by}; the call ran and its tool reported an error; approval ${view.id}`;
    default:
      return `Approved by ${by}; the call ran; approval ${view.id}`;
  }
}

function approverNames(view: ApprovalView): string {
  return view.approvers.length <= 3
    ? view.approvers.join(' or ')
    : `${view.approvers.slice(0, 3).join(', ')} or ${view.approvers.length - 3} more`;
}

function approversText(view: ApprovalView): string {
  const who = approverNames(view);
  const needed = Math.max(0, view.minApprovals - view.approvals.length);
  return `${who} (${needed} of ${view.minApprovals} needed)`;
}

/** The agent-facing message of a hold outcome that is not the upstream's own result. */
export function messageForOutcome(
  outcome: { kind: 'denied' | 'expired' | 'withdrawn' | 'pending' | 'unknown'; view: ApprovalView },
  options: { toolName?: string; now?: number } = {},
): AgentMessage {
  switch (outcome.kind) {
    case 'denied':
      return deniedMessage(outcome.view);
    case 'expired':
      return expiredMessage(outcome.view);
    case 'withdrawn':
      return withdrawnMessage(outcome.view);
    case 'pending':
      return pendingMessage(outcome.view, options);
    case 'unknown':
      return unknownMessage(outcome.view);
  }
}
