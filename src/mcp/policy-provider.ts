import type { GrantConfig } from '../config/index.js';
import type { CompiledPolicy } from '../policy/index.js';

/** The policy in force for a grant right now (hot-reloaded behind this interface). */
export interface PolicyProvider {
  policyFor(grant: GrantConfig): CompiledPolicy;
}
