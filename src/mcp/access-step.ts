import { isInputRequiredResult, ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { AuditLog } from '../audit/index.js';
import { accessVisible, decideAccess, type AccessDecision, type AccessKind } from '../policy/index.js';
import { describeError, type Logger } from '../shared/index.js';
import type { Caller } from './call-context.js';
import type { PolicyProvider } from './policy-provider.js';

export interface AccessDeps {
  policies: PolicyProvider;
  audit: AuditLog;
  log: Logger;
}

/** One prompt (by its upstream name) or resource (by its upstream URI) of one upstream. */
export interface AccessTarget {
  kind: AccessKind;
  server: string;
  name: string;
  /** What the audit trail records as the call's arguments (a prompt's arguments; {} for a read). */
  args: Record<string, unknown>;
}

/** How prompts and resources appear in the audit trail's `tool` field (tool names hold no ":"). */
export function auditName(target: Pick<AccessTarget, 'kind' | 'name'>): string {
  return `${target.kind === 'prompts' ? 'prompt' : 'resource'}:${target.name}`;
}

export function accessOf(deps: Pick<AccessDeps, 'policies'>, caller: Caller, target: Omit<AccessTarget, 'args'>) {
  return decideAccess(deps.policies.policyFor(caller.grant), target.kind, target.server, target.name);
}

/** Whether the grant sees it listed (prompts/list, resources/list, templates). */
export function isListed(deps: Pick<AccessDeps, 'policies'>, caller: Caller, target: Omit<AccessTarget, 'args'>) {
  return accessVisible(accessOf(deps, caller, target));
}

/**
 * prompts/get and resources/read under the `prompts` and `resources` policy sections, audited like
 * a tool call (received → decided → forwarded → outcome; `tool` is `prompt:<name>` or
 * `resource:<uri>`). A hidden one is answered as unknown (`unknown()`), a denied one with the rule
 * and reason; the decision is on disk before anything is forwarded (fail closed).
 */
export async function guardedAccess<T>(
  deps: AccessDeps,
  caller: Caller,
  target: AccessTarget,
  unknown: () => Error,
  run: () => Promise<T>,
): Promise<T> {
  const decision = accessOf(deps, caller, target);
  const trail = deps.audit.call({
    grant: caller.grant.name,
    session: caller.sessionId,
    server: target.server,
    tool: auditName(target),
    args: target.args,
  });
  void trail.emit('call.received', {});
  try {
    await trail.emit('policy.decided', {
      rule: decision.rule,
      action: decision.action,
      ...(decision.reason === undefined ? {} : { reason: decision.reason }),
    });
  } catch (error) {
    deps.log.error({ call: trail.callId, err: describeError(error) }, 'audit trail unavailable; request refused');
    throw new ProtocolError(
      ProtocolErrorCode.InternalError,
      `Refused: Airlock cannot write its audit trail (${describeError(error)}), and it refuses what it cannot record. Try again shortly.`,
    );
  }
  if (decision.hidden) throw unknown();
  if (decision.action === 'deny') throw denied(target, decision);
  void trail.emit('call.forwarded', {});
  try {
    const result = await run();
    void trail.emit('call.outcome', isInputRequiredResult(result) ? { outcome: 'input_required' } : { outcome: 'ok' });
    return result;
  } catch (error) {
    void trail.emit('call.outcome', { outcome: 'failure', error: describeError(error) });
    throw error;
  }
}

function denied(target: AccessTarget, decision: AccessDecision): ProtocolError {
  const what = target.kind === 'prompts' ? `prompt ${target.name}` : `resource ${target.name}`;
  const why = decision.reason ?? 'not allowed by policy';
  return new ProtocolError(
    ProtocolErrorCode.InvalidParams,
    `Denied by Airlock policy (rule ${decision.rule}): ${why}`,
    {
      status: 'denied',
      rule: decision.rule,
      reason: why,
      target: what,
    },
  );
}
