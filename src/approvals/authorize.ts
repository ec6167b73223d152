import { describeError } from '../shared/index.js';
import { ApprovalError } from './errors.js';
import type { ApprovalView } from './schema.js';

/** Members of a group id listed in `approvers` (a Slack user group "S…"); [] for anything it does not know. */
export type GroupResolver = (groupId: string) => Promise<readonly string[]>;

export const noGroups: GroupResolver = async () => [];

/**
 * May `approver` make this decision? Listed directly, or a member of a listed group; and the
 * grant's owner may not approve its own agent's call unless the rule allows self-approval
 * (denying it is always allowed: it can only stop a call). Throws ApprovalError otherwise.
 * A group lookup that fails, when no other entry admits the approver, refuses (fail closed).
 */
export async function authorizeDecision(
  view: Pick<ApprovalView, 'id' | 'approvers' | 'owner' | 'allowSelfApproval' | 'grant'>,
  decision: 'approve' | 'deny',
  approver: string,
  resolveGroupMembers: GroupResolver,
): Promise<void> {
  if (!(await isListedApprover(view, approver, resolveGroupMembers))) {
    throw new ApprovalError(
      'not_an_approver',
      `${approver} may not decide approval ${view.id}: the approvers are ${view.approvers.join(', ')} (users, or members of those groups)`,
      { approvalId: view.id },
    );
  }
  if (decision === 'approve' && view.owner === approver && !view.allowSelfApproval) {
    throw new ApprovalError(
      'self_approval_forbidden',
      `${approver} owns grant ${view.grant} and may not approve its agent's call (approval ${view.id}); ask another approver, or set allow_self_approval in the rule`,
      { approvalId: view.id },
    );
  }
}

async function isListedApprover(
  view: Pick<ApprovalView, 'id' | 'approvers'>,
  approver: string,
  resolve: GroupResolver,
): Promise<boolean> {
  if (approver.length === 0) return false;
  if (view.approvers.includes(approver)) return true;
  // Only group ids are looked up: a user id is no group, and asking for it would fail closed
  // wherever groups cannot be resolved (no Slack), turning "not an approver" into "unavailable".
  const groups = view.approvers.filter(isGroupId);
  const lookups = await Promise.allSettled(groups.map(async (group) => ({ group, members: await resolve(group) })));
  if (lookups.some((r) => r.status === 'fulfilled' && r.value.members.includes(approver))) return true;
  const failed = lookups.flatMap((r, i) =>
    r.status === 'rejected' ? [`${groups[i]} (${describeError(r.reason)})`] : [],
  );
  if (failed.length > 0) {
    throw new ApprovalError(
      'approvals_unavailable',
      `could not check whether ${approver} may decide approval ${view.id}: group lookup failed for ${failed.join(', ')}`,
      {
        approvalId: view.id,
      },
    );
  }
  return false;
}

/** A Slack user-group id ("S…"); user ids are "U…" or "W…" (the policy schema allows these three). */
function isGroupId(id: string): boolean {
  return id.startsWith('S');
}
