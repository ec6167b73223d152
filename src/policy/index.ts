/**
 * Policy files: schema, load + watch, evaluation (pure) and the static view of tools.
 * Precedence and condition semantics: src/policy/README.md.
 */
export {
  type Action,
  type Approval,
  type Condition,
  type Limit,
  type Policy,
  type PolicyInput,
  type RuleInput,
  type AccessRule,
  type Rule,
  type Scope,
} from './schema.js';
export {
  type CompiledPolicy,
  type CompiledRule,
  type CompiledAccess,
  type CompiledAccessRule,
  type CompiledSection,
  type NormalizedApproval,
  type NormalizedLimit,
} from './compile.js';
export { loadPolicyFile, parsePolicy, PolicyError, type PolicyErrorCode } from './load.js';
export { formatPolicyIssues } from './issues.js';
export { describeDecision, effect } from './describe.js';
export type { PolicyIssue } from './issues.js';
export { type PolicyWatch, type PolicyWatchHandlers } from './watch.js';
export { classify, evaluate, type Decision, type ToolCall, type ToolClassification } from './evaluate.js';
export { accessVisible, decideAccess, type AccessDecision, type AccessKind } from './access.js';
export { unmatchedRules } from './unmatched-rules.js';
export { shadowOnlyLimits, shadowVerdict, type ShadowVerdict } from './shadow.js';
export { PolicySet, type PolicyGrant, type PolicyLog } from './policy-set.js';
