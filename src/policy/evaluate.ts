import type { CompiledPolicy, CompiledRule, CompiledSection, NormalizedApproval, NormalizedLimit } from './compile.js';
import type { Action } from './schema.js';

/**
 * Policy precedence — the one order every decision follows (also in README.md):
 *
 * 1. Hidden: a tool named by the top-level `hide` (rule "/hide") or by its server section's
 *    `hide` (rule "/servers/<name>/hide") is denied, whatever any rule says.
 * 2. Matching rule: the server section's `tools` are searched before the top-level `tools`.
 *    Within one section an exact name beats a glob, a longer glob key beats a shorter one, and
 *    among globs of equal length the one first in the file wins.
 * 3. No matching rule: the server section's `default` if it has one, else the top-level
 *    `default` (rule "/default" or "/servers/<name>/default"). `allow` allows under the
 *    all_tools limits only; `deny` denies.
 * 4. A rule with action `deny` denies with its reason.
 * 5. `require`: every condition must hold; the first that fails denies, naming it
 *    (rule "/tools/x/require/0", reason "requires args.reason to exist").
 * 6. `deny_if`: the first condition that holds denies, naming it (rule "/tools/x/deny_if/0").
 *    Steps 5 and 6 apply to `allow` and `require_approval` rules alike. A condition that cannot
 *    check the arguments (a value of the wrong type, an array where a key is needed, a string
 *    too long to match) denies in both lists, saying what was wrong.
 * 7. Otherwise the rule's action (allow or require_approval), with limits = top-level all_tools
 *    limits, then the server section's all_tools limits, then the rule's limits (and rate_limit).
 *
 * Anything unexpected while deciding denies (rule "(error)"): evaluation never throws and
 * never fails open.
 */

export interface ToolCall {
  /** The upstream's name (a key of `upstreams` in the config). */
  server: string;
  /** The upstream's own tool name (not the prefixed name agents see). */
  tool: string;
  /** The call's arguments as received: any JSON, or anything else. */
  args: unknown;
}

export interface Decision {
  action: Action;
  /** JSON pointer of the deciding rule or condition, or "(error)". */
  rule: string;
  reason?: string;
  /** Limits the call must pass, in order; empty for a denial. */
  limits: readonly NormalizedLimit[];
  approval?: NormalizedApproval;
}

/** The static view of one tool, for tools/list and `airlock check` (no arguments involved). */
export interface ToolClassification extends Decision {
  /** The rule has `require` or `deny_if`: some calls may be denied by their arguments. */
  conditional: boolean;
  /** Named by a `hide` list: absent from tools/list, and denied. */
  hidden: boolean;
}

const NO_LIMITS: readonly NormalizedLimit[] = Object.freeze([]);

function findRule(section: CompiledSection, tool: string): CompiledRule | undefined {
  return section.exact.get(tool) ?? section.globs.find((rule) => rule.matches(tool));
}

function withRule(rule: CompiledRule, limits: readonly NormalizedLimit[]): Decision {
  const { action } = rule;
  return {
    action,
    rule: rule.id,
    ...(rule.reason === undefined ? {} : { reason: rule.reason }),
    limits: action === 'deny' ? NO_LIMITS : [...limits, ...rule.limits],
    ...(action === 'require_approval' && rule.approval ? { approval: rule.approval } : {}),
  };
}

interface Resolved {
  view: ToolClassification;
  /** The matching rule, when one matched and the tool is not hidden. */
  rule?: CompiledRule;
}

/** Steps 1–4 and 7 of the precedence: everything that does not look at arguments. */
function resolve(policy: CompiledPolicy, server: string, tool: string): Resolved {
  const section = policy.servers.get(server);
  const hiddenBy = policy.root.hide.some((m) => m(tool))
    ? '/hide'
    : section?.hide.some((m) => m(tool))
      ? `${section.id}/hide`
      : undefined;
  if (hiddenBy !== undefined) {
    return {
      view: {
        action: 'deny',
        rule: hiddenBy,
        reason: 'hidden by policy',
        limits: NO_LIMITS,
        conditional: false,
        hidden: true,
      },
    };
  }
  const limits = section ? [...policy.root.limits, ...section.limits] : policy.root.limits;
  const rule = (section && findRule(section, tool)) ?? findRule(policy.root, tool);
  if (rule) {
    const conditional = rule.action !== 'deny' && rule.require.length + rule.denyIf.length > 0;
    return { view: { ...withRule(rule, limits), conditional, hidden: false }, rule };
  }
  const action = section?.default ?? policy.default;
  const id = section?.default !== undefined ? `${section.id}/default` : '/default';
  const view: ToolClassification =
    action === 'allow'
      ? { action, rule: id, limits: [...limits], conditional: false, hidden: false }
      : {
          action,
          rule: id,
          reason: 'not listed in the policy (default deny)',
          limits: NO_LIMITS,
          conditional: false,
          hidden: false,
        };
  return { view };
}

/** How a tool stands before any arguments are seen: visible to agents iff !hidden and action != deny. */
export function classify(policy: CompiledPolicy, server: string, tool: string): ToolClassification {
  return resolve(policy, server, tool).view;
}

function decide(policy: CompiledPolicy, call: ToolCall): Decision {
  const { view, rule } = resolve(policy, call.server, call.tool);
  const { conditional: _conditional, hidden: _hidden, ...decision } = view;
  if (rule === undefined || decision.action === 'deny') return decision;
  // require before deny_if; each condition says itself whether (and why) it denies, including
  // when the arguments have a shape it cannot check (conditions.ts: fail closed).
  for (const condition of [...rule.require, ...rule.denyIf]) {
    const { denial } = condition.check(call.args);
    if (denial !== undefined) return { action: 'deny', rule: condition.id, reason: denial, limits: NO_LIMITS };
  }
  return decision;
}

/** The decision for one call: a pure function of the policy and the call. Never throws. */
export function evaluate(policy: CompiledPolicy, call: ToolCall): Decision {
  try {
    return decide(policy, call);
  } catch {
    return {
      action: 'deny',
      rule: '(error)',
      reason: 'the policy could not be evaluated for this call; denied to be safe',
      limits: NO_LIMITS,
    };
  }
}
