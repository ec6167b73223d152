import { parseDuration } from '../shared/index.js';
import picomatch from 'picomatch';
import { compileCondition, type CompiledCondition } from './conditions.js';
import { jsonPointer } from './issues.js';
import { hasShadow, withoutShadow } from './shadow.js';
import {
  type Action,
  type Approval,
  type Limit,
  type Policy,
  type AccessRule,
  type Rule,
  type Scope,
  type ServerSection,
} from './schema.js';

/**
 * The compiled policy: what evaluate() and classify() read. Built once per (re)load and frozen,
 * so a reload swaps one reference and a call in flight keeps the policy it started with.
 * Every rule, limit and condition carries its JSON pointer in the file, for decisions and audit.
 */

export interface NormalizedLimit {
  readonly counter: string;
  /** As written, for messages: "minute", "90s"; a number of seconds becomes "60s". */
  readonly window: string;
  readonly windowMs: number;
  readonly max: number;
  readonly scope: Scope;
  /** Where it comes from: /all_tools/limits/0, /tools/x/limits/1, /tools/x/rate_limit. */
  readonly rule: string;
}

export interface NormalizedApproval {
  readonly approvers: readonly string[];
  readonly channel?: string;
  /** As written ("15m"), for messages. */
  readonly timeout: string;
  readonly timeoutMs: number;
  readonly minApprovals: number;
  readonly allowSelfApproval: boolean;
  /** Pointer of the approval block, e.g. /tools/copy_model_version/approval. */
  readonly rule: string;
}

export interface CompiledRule {
  /** JSON pointer of the rule: /tools/copy_model_version, /servers/mlflow/tools/get_*. */
  readonly id: string;
  /** The tool key as written: an exact name or a glob. */
  readonly key: string;
  readonly glob: boolean;
  readonly action: Action;
  readonly reason?: string;
  readonly limits: readonly NormalizedLimit[];
  readonly require: readonly CompiledCondition[];
  readonly denyIf: readonly CompiledCondition[];
  readonly approval?: NormalizedApproval;
  matches(tool: string): boolean;
}

/** A compiled `prompts` or `resources` rule. */
export interface CompiledAccessRule {
  /** JSON pointer: /prompts/code_review, /servers/docs/resources/file:~1~1~1*. */
  readonly id: string;
  readonly key: string;
  readonly action: 'allow' | 'deny' | 'hide';
  readonly reason?: string;
  matches(name: string): boolean;
}

/** One section's `prompts` or `resources` rules, in the tools' order of precedence. */
export interface CompiledAccess {
  readonly exact: ReadonlyMap<string, CompiledAccessRule>;
  readonly globs: readonly CompiledAccessRule[];
}

export interface CompiledSection {
  /** "" for the top level, "/servers/<name>" for a server section. */
  readonly id: string;
  readonly default?: 'allow' | 'deny';
  readonly hide: readonly ((tool: string) => boolean)[];
  /** all_tools limits of this section. */
  readonly limits: readonly NormalizedLimit[];
  readonly exact: ReadonlyMap<string, CompiledRule>;
  /** Glob rules, most specific first: longer key first, then file order. */
  readonly globs: readonly CompiledRule[];
  readonly prompts: CompiledAccess;
  readonly resources: CompiledAccess;
}

export interface CompiledPolicy {
  /** The file (or name) it was read from, for messages. */
  readonly source: string;
  readonly description?: string;
  readonly default: 'allow' | 'deny';
  readonly root: CompiledSection;
  readonly servers: ReadonlyMap<string, CompiledSection>;
  /** The parsed file, defaults applied (for `airlock check` and the console). */
  readonly document: Policy;
  /** With shadow parts (`mode: "shadow"`): the policy as if they were enforced (shadow.ts). */
  readonly shadow?: CompiledPolicy;
}

/** A validated duration or window (schema.ts) in milliseconds, and its text for messages. */
export function durationMs(value: string | number): { ms: number; text: string } {
  const ms = parseDuration(value, { named: true });
  if (ms === undefined) throw new Error(`not a duration: ${value}`);
  return { ms, text: typeof value === 'number' ? `${value}s` : value };
}

/** Tool names are not paths: "*" matches any name, including ones with "/" or a leading ".". */
const GLOB_OPTIONS = { dot: true, bash: true, nonegate: true } as const;

function isGlob(key: string): boolean {
  return picomatch.scan(key).isGlob;
}

function nameMatcher(pattern: string): (tool: string) => boolean {
  if (!isGlob(pattern)) return (tool) => tool === pattern;
  const re = picomatch.makeRe(pattern, GLOB_OPTIONS);
  return (tool) => re.test(tool);
}

function limit(l: Limit, rule: string): NormalizedLimit {
  const { ms, text } = durationMs(l.window);
  return Object.freeze({ counter: l.counter, window: text, windowMs: ms, max: l.max, scope: l.scope, rule });
}

function approval(a: Approval, rule: string): NormalizedApproval {
  const { ms, text } = durationMs(a.timeout);
  return Object.freeze({
    approvers: Object.freeze([...a.approvers]),
    ...(a.channel === undefined ? {} : { channel: a.channel }),
    timeout: text,
    timeoutMs: ms,
    minApprovals: a.min_approvals,
    allowSelfApproval: a.allow_self_approval,
    rule,
  });
}

function compileRule(key: string, rule: Rule, id: string, counterPrefix: string): CompiledRule {
  const limits = (rule.limits ?? []).map((l, i) => limit(l, `${id}/limits/${i}`));
  if (rule.rate_limit) {
    // PolicyLayer's shorthand: one per-grant limit on a counter named after the tool key (so the
    // tools a glob key matches share it). Server sections prefix the server to keep them apart.
    limits.push(
      limit(
        { counter: counterPrefix + key, window: rule.rate_limit.window, max: rule.rate_limit.max, scope: 'grant' },
        `${id}/rate_limit`,
      ),
    );
  }
  return Object.freeze({
    id,
    key,
    glob: isGlob(key),
    action: rule.action,
    ...(rule.reason === undefined ? {} : { reason: rule.reason }),
    limits: Object.freeze(limits),
    require: Object.freeze((rule.require ?? []).map((c, i) => compileCondition(c, `${id}/require/${i}`, 'require'))),
    denyIf: Object.freeze((rule.deny_if ?? []).map((c, i) => compileCondition(c, `${id}/deny_if/${i}`, 'deny_if'))),
    ...(rule.approval === undefined ? {} : { approval: approval(rule.approval, `${id}/approval`) }),
    matches: nameMatcher(key),
  });
}

function compileSection(section: ServerSection, id: string, counterPrefix: string): CompiledSection {
  const rules = Object.entries(section.tools ?? {}).map(([key, rule]) =>
    compileRule(key, rule, `${id}${jsonPointer('tools', key)}`, counterPrefix),
  );
  const exact = new Map(rules.filter((r) => !r.glob).map((r) => [r.key, r]));
  // Array.prototype.sort is stable, so equal-length globs keep their file order.
  const globs = rules.filter((r) => r.glob).sort((a, b) => b.key.length - a.key.length);
  return Object.freeze({
    id,
    ...(section.default === undefined ? {} : { default: section.default }),
    hide: Object.freeze((section.hide ?? []).map(nameMatcher)),
    limits: Object.freeze((section.all_tools?.limits ?? []).map((l, i) => limit(l, `${id}/all_tools/limits/${i}`))),
    exact,
    globs: Object.freeze(globs),
    prompts: compileAccess(section.prompts, `${id}/prompts`),
    resources: compileAccess(section.resources, `${id}/resources`),
  });
}

function compileAccess(rules: Record<string, AccessRule> | undefined, id: string): CompiledAccess {
  const compiled = Object.entries(rules ?? {}).map(([key, rule]) =>
    Object.freeze({
      id: `${id}${jsonPointer(key)}`,
      key,
      action: rule.action,
      ...(rule.reason === undefined ? {} : { reason: rule.reason }),
      matches: nameMatcher(key),
    }),
  );
  const globs = compiled.filter((r) => isGlob(r.key)).sort((a, b) => b.key.length - a.key.length);
  return Object.freeze({
    exact: new Map(compiled.filter((r) => !isGlob(r.key)).map((r) => [r.key, r])),
    globs: Object.freeze(globs),
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** A validated policy (PolicySchema output) → its immutable compiled form. */
export function compilePolicy(policy: Policy, source = '(inline policy)'): CompiledPolicy {
  if (!hasShadow(policy)) return compileView(policy, source, policy);
  return compileView(withoutShadow(policy), source, policy, compileView(policy, source, policy));
}

/** One view of a policy: what it decides; `document` is always the file as written. */
function compileView(policy: Policy, source: string, document: Policy, shadow?: CompiledPolicy): CompiledPolicy {
  const { default: _ignored, ...root } = policy;
  const servers = new Map(
    Object.entries(policy.servers ?? {}).map(([name, section]) => [
      name,
      compileSection(section, jsonPointer('servers', name), `${name}:`),
    ]),
  );
  return Object.freeze({
    source,
    ...(policy.description === undefined ? {} : { description: policy.description }),
    default: policy.default,
    root: compileSection(root, '', ''),
    servers,
    document: deepFreeze(structuredClone(document)),
    ...(shadow === undefined ? {} : { shadow }),
  });
}
