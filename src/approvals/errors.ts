import { AirlockError, describeError, type AirlockErrorCode } from '../shared/index.js';
import { isoTime } from './format.js';
import type { ApprovalState, ApprovalView } from './schema.js';

/**
 * Why an approval operation was refused. The message is written for the person (or model) who
 * has to act on it; the code is for programs (Slack answers, CLI exit, agent outcomes).
 */
export type ApprovalErrorCode = Extract<
  AirlockErrorCode,
  | 'approval_not_found'
  | 'not_an_approver'
  | 'self_approval_forbidden'
  | 'already_decided'
  | 'max_pending_reached'
  | 'not_executable'
  | 'approvals_unavailable'
>;

export interface AlreadyDecidedDetails {
  state: ApprovalState;
  decidedBy?: string;
  decidedAt?: number;
}

export interface MaxPendingDetails {
  grant: string;
  maxPending: number;
  pending: number;
}

/** An approval operation refused, with what Slack answers, the CLI and agent outcomes need. */
export class ApprovalError extends AirlockError<ApprovalErrorCode> {
  override readonly name = 'ApprovalError';
  constructor(
    code: ApprovalErrorCode,
    message: string,
    readonly details: {
      approvalId?: string;
      alreadyDecided?: AlreadyDecidedDetails;
      maxPending?: MaxPendingDetails;
    } = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

export function isApprovalError(error: unknown, code?: ApprovalErrorCode): error is ApprovalError {
  return error instanceof ApprovalError && (code === undefined || error.code === code);
}

export function notFound(id: string): ApprovalError {
  return new ApprovalError(
    'approval_not_found',
    `no approval ${id} (never existed, or closed longer ago than the retention period)`,
    { approvalId: id },
  );
}

export function unavailable(what: string, cause: unknown): ApprovalError {
  const why = cause === undefined ? '' : `: ${describeError(cause)}`;
  return new ApprovalError('approvals_unavailable', `${what} (Redis unreachable or failing${why})`, {}, { cause });
}

export function alreadyDecided(view: ApprovalView): ApprovalError {
  const at = view.decidedAt === undefined ? '' : ` at ${isoTime(view.decidedAt)}`;
  const what =
    view.state === 'expired'
      ? `expired${at}: no decision within ${view.timeout}`
      : view.state === 'withdrawn'
        ? `was withdrawn by ${view.decidedBy ?? 'an operator'}${at}`
        : view.state === 'denied'
          ? `was already denied by ${view.decidedBy ?? 'an approver'}${at}`
          : `was already approved by ${view.decidedBy ?? 'an approver'}${at}${view.state === 'executed' ? ' and has run' : ''}`;
  return new ApprovalError('already_decided', `approval ${view.id} ${what}`, {
    approvalId: view.id,
    alreadyDecided: {
      state: view.state,
      ...(view.decidedBy === undefined ? {} : { decidedBy: view.decidedBy }),
      ...(view.decidedAt === undefined ? {} : { decidedAt: view.decidedAt }),
    },
  });
}
