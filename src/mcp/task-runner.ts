import { ProtocolErrorCode } from '@modelcontextprotocol/server';
import { executeOnce, type ApprovalEngine, type ApprovalView, type TaskRunner } from '../approvals/index.js';
import type { AuditLog } from '../audit/index.js';
import type { GrantConfig } from '../config/index.js';
import { evaluate } from '../policy/index.js';
import type { Logger } from '../shared/index.js';
import type { RequestScope } from './call-context.js';
import { policyDenial } from './outcomes.js';
import type { PolicyProvider } from './policy-provider.js';
import type { ToolCatalogue } from './tool-catalogue.js';
import { runApprovedCall, type UpstreamCall } from './upstream-step.js';
import type { UpstreamTasks } from './upstream-tasks.js';

export interface TaskRunnerDeps {
  engine: ApprovalEngine;
  catalogue: ToolCatalogue;
  policies: PolicyProvider;
  grants: readonly GrantConfig[];
  audit: AuditLog;
  tasks: Pick<UpstreamTasks, 'bind'>;
  log: Logger;
}

/** No agent request is open for an approved task: nothing to abort it, nobody to notify. */
const DETACHED: RequestScope = {
  mcpReq: { signal: new AbortController().signal, notify: () => Promise.resolve() },
};

/**
 * Runs approved tasks in this process (the approval's job calls it in whichever process takes the
 * job): exactly once across processes (the atomic `executing` mark), audited under the call id of
 * the call that asked, through the same upstream step as every other call.
 */
export function approvedTaskRunner(deps: TaskRunnerDeps): TaskRunner {
  return (view) => executeOnce(deps.engine, view.id, () => runDetached(deps, view), deps.log);
}

async function runDetached(
  deps: TaskRunnerDeps,
  view: ApprovalView,
): Promise<{ result: unknown; isError: boolean; failed?: boolean }> {
  const entry = deps.catalogue.entryFor(view.server, view.tool);
  const grant = deps.grants.find((g) => g.name === view.grant);
  if (entry === undefined || grant === undefined) {
    const missing = entry === undefined ? `the tool ${view.tool} of upstream "${view.server}"` : `grant ${view.grant}`;
    const message = `Airlock cannot run the approved call: this process has no ${missing} (configuration changed?); it was not run`;
    deps.log.warn({ approval: view.id, grant: view.grant, tool: view.tool }, message);
    return { result: { code: ProtocolErrorCode.InternalError, message }, isError: true, failed: true };
  }
  const trail = deps.audit.call({
    grant: view.grant,
    server: view.server,
    tool: view.tool,
    args: view.args,
    approval_id: view.id,
    ...(view.callId === undefined ? {} : { call_id: view.callId }),
  });
  // The policy may have changed since the request: a tool denied now is not run, approved or not.
  const decision = evaluate(deps.policies.policyFor(grant), { server: view.server, tool: view.tool, args: view.args });
  if (decision.action === 'deny') {
    const result = policyDenial(decision.rule, decision.reason);
    void trail.emit('call.refused', { reason: 'policy_changed', error: `denied now by ${decision.rule}` });
    return { result, isError: true };
  }
  const call: UpstreamCall = {
    caller: { grant, sessionId: `task:${view.id}`, era: 'modern' },
    entry,
    params: { name: entry.name, arguments: view.args as Record<string, unknown> },
    extra: DETACHED,
    trail,
  };
  deps.log.info({ approval: view.id, grant: view.grant, tool: entry.name }, 'running an approved task');
  return runApprovedCall(call, deps.tasks);
}
