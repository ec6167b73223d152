import type { NormalizedLimit } from './compile.js';
import type { Decision } from './evaluate.js';
import type { Policy, Rule, ServerSection } from './schema.js';

/**
 * Shadow mode: a rule, a server section or the whole policy with `"mode": "shadow"` is evaluated
 * and audited but never decides. A policy is compiled twice when it has shadow parts: the
 * enforced view (the shadow parts left out, as if they were not written) decides every call; the
 * full view (every part enforced) says what the policy would decide once the shadow parts are
 * switched on. Where the two differ, the call is audited as `policy.shadowed`.
 */

const isShadow = (part: { mode?: string } | undefined) => part?.mode === 'shadow';

export function hasShadow(policy: Policy): boolean {
  if (isShadow(policy)) return true;
  const rules = (tools: Record<string, Rule> | undefined) => Object.values(tools ?? {}).some(isShadow);
  return (
    rules(policy.tools) ||
    Object.values(policy.servers ?? {}).some((section) => isShadow(section) || rules(section.tools))
  );
}

/**
 * The policy without its shadow parts. A whole policy in shadow mode enforces nothing: every call
 * is allowed (and audited), with no limits, which `airlock check` says loudly.
 */
export function withoutShadow(policy: Policy): Policy {
  if (isShadow(policy))
    return {
      version: policy.version,
      default: 'allow',
      ...(policy.description === undefined ? {} : { description: policy.description }),
    };
  const enforcedRules = (tools: Record<string, Rule> | undefined) =>
    tools === undefined ? undefined : Object.fromEntries(Object.entries(tools).filter(([, rule]) => !isShadow(rule)));
  const servers = Object.entries(policy.servers ?? {})
    .filter(([, section]) => !isShadow(section))
    .map(([name, section]): [string, ServerSection] => [
      name,
      { ...section, tools: enforcedRules(section.tools) ?? {} },
    ]);
  return {
    ...policy,
    ...(policy.tools === undefined ? {} : { tools: enforcedRules(policy.tools)! }),
    ...(policy.servers === undefined ? {} : { servers: Object.fromEntries(servers) }),
  };
}

/** What the full view would do differently from the enforced decision, if anything. */
export interface ShadowVerdict {
  would: 'deny' | 'require_approval' | 'allow';
  /** The rule of the full view that decides. */
  rule: string;
  reason?: string;
}

export function shadowVerdict(enforced: Decision, full: Decision): ShadowVerdict | undefined {
  if (full.action === enforced.action) return undefined;
  return { would: full.action, rule: full.rule, ...(full.reason === undefined ? {} : { reason: full.reason }) };
}

/**
 * The limits only the full view applies (a shadow rule's, or the enforced rule's when a shadow
 * rule replaces it with others): they are counted on shadow counters, never on the real ones.
 */
export function shadowOnlyLimits(enforced: Decision, full: Decision): NormalizedLimit[] {
  if (full.action === 'deny') return [];
  const key = (l: NormalizedLimit) => `${l.counter}\u0000${l.scope}\u0000${l.windowMs}\u0000${l.max}`;
  const real = new Set(enforced.limits.map(key));
  return full.limits.filter((limit) => !real.has(key(limit)));
}
