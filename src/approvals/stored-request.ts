import type { ApprovalRequestInput } from './engine-types.js';
import { fingerprintOf } from './fingerprint.js';
import type { StoredRequest } from './schema.js';

/** The immutable fields a new approval is created with, from the gateway's request. */
export function storedRequest(input: ApprovalRequestInput, id: string): StoredRequest {
  const a = input.approval;
  return {
    id,
    grant: input.grant,
    server: input.server,
    tool: input.tool,
    args: input.args ?? {},
    fingerprint: fingerprintOf(input),
    rule: input.rule,
    approvers: a.approvers,
    minApprovals: a.minApprovals,
    allowSelfApproval: a.allowSelfApproval,
    timeout: a.timeout,
    ...(input.owner === undefined ? {} : { owner: input.owner }),
    ...(input.reason === undefined ? {} : { reason: input.reason }),
    ...(a.channel === undefined ? {} : { channel: a.channel }),
    ...(input.reservation === undefined ? {} : { reservation: input.reservation }),
    ...(input.task === true ? { task: true } : {}),
    ...(input.callId === undefined ? {} : { callId: input.callId }),
  };
}
