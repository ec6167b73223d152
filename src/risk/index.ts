/**
 * Risk classes of upstream tools (read, write, destructive; open-world; low to high) from their
 * MCP annotations, names and descriptions, and the rules a profile recommends for them: what
 * `airlock check`, `explain` and `init` show and write, and audit events carry.
 * @module
 */
export { classifyTool } from './classify.js';
export { describeClass, shortRiskClass, recommendedRule, recommendation, type ApprovalSettings } from './recommend.js';
export { starterPolicy, type StarterPolicyInput } from './starter-policy.js';
export {
  ClassifiedToolSchema,
  PROFILES,
  ProfileSchema,
  RiskClassSchema,
  type ClassifiedTool,
  type Profile,
  type RiskCategory,
  type RiskClass,
  type RiskLevel,
} from './schema.js';
