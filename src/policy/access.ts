import type { CompiledAccess, CompiledAccessRule, CompiledPolicy } from './compile.js';

/** What the `prompts` and `resources` sections decide about: a prompt by name, a resource by URI. */
export type AccessKind = 'prompts' | 'resources';

/**
 * The decision for one prompt or resource. `hidden` ones are absent from the lists and answered
 * as unknown; `deny` ones are absent from the lists too and refused with the reason.
 */
export interface AccessDecision {
  action: 'allow' | 'deny';
  hidden: boolean;
  /** JSON pointer of the rule (`/prompts/code_review`, `/servers/docs/resources/file:~1~1~1*`) or of the default. */
  rule: string;
  reason?: string;
}

function findRule(access: CompiledAccess, name: string): CompiledAccessRule | undefined {
  return access.exact.get(name) ?? access.globs.find((rule) => rule.matches(name));
}

/**
 * Which rule applies to a prompt (its upstream name) or a resource (its upstream URI, or a
 * template's URI template): the server section's rules first, then the top-level ones; an exact
 * key beats a glob, a longer glob a shorter one; no rule → the section's `default`, then the
 * top-level one (as for tools). Pure; never throws.
 */
export function decideAccess(policy: CompiledPolicy, kind: AccessKind, server: string, name: string): AccessDecision {
  try {
    const section = policy.servers.get(server);
    const rule = (section && findRule(section[kind], name)) ?? findRule(policy.root[kind], name);
    if (rule !== undefined) {
      return {
        action: rule.action === 'allow' ? 'allow' : 'deny',
        hidden: rule.action === 'hide',
        rule: rule.id,
        ...(rule.reason === undefined ? {} : { reason: rule.reason }),
      };
    }
    if (section?.default !== undefined)
      return { action: section.default, hidden: false, rule: `${section.id}/default` };
    return { action: policy.default, hidden: false, rule: '/default' };
  } catch {
    return {
      action: 'deny',
      hidden: false,
      rule: '(error)',
      reason: 'the policy could not be evaluated; denied to be safe',
    };
  }
}

/** Whether agents see it in prompts/list, resources/list or resources/templates/list. */
export function accessVisible(decision: AccessDecision): boolean {
  return !decision.hidden && decision.action === 'allow';
}
