import type { RuleInput } from '../policy/index.js';
import type { Profile, RiskClass } from './schema.js';

/** Who approves what a profile holds for a human, and for how long. */
export interface ApprovalSettings {
  approvers: readonly string[];
  timeout: string;
}

/** The seed policy's write limit: 30 a minute per grant stops a runaway loop, not an agent at work. */
export const WRITE_RATE = { max: 30, window: 'minute' } as const;
/** A destructive tool a permissive profile lets through: a few an hour, per grant. */
export const PERMISSIVE_DESTRUCTIVE_RATE = { max: 10, window: 'hour' } as const;

type Recommended =
  { kind: 'allow' } | { kind: 'limit'; max: number; window: string } | { kind: 'approval' } | { kind: 'deny' };

/**
 * What a profile does with a class:
 *
 * | class | strict | balanced | permissive |
 * |---|---|---|---|
 * | read | allow | allow | allow |
 * | write | 30/minute per grant; approval when high (open-world) | 30/minute per grant | 30/minute per grant |
 * | destructive | deny | approval | 10/hour per grant |
 */
export function recommendation(risk: RiskClass, profile: Profile): Recommended {
  switch (risk.category) {
    case 'read':
      return { kind: 'allow' };
    case 'write':
      if (profile === 'strict' && risk.level === 'high') return { kind: 'approval' };
      return { kind: 'limit', ...WRITE_RATE };
    case 'destructive':
      if (profile === 'strict') return { kind: 'deny' };
      if (profile === 'balanced') return { kind: 'approval' };
      return { kind: 'limit', ...PERMISSIVE_DESTRUCTIVE_RATE };
  }
}

/** Whether the profile holds a tool of this class for a human (then approvers are needed). */
export function needsApproval(risk: RiskClass, profile: Profile): boolean {
  return recommendation(risk, profile).kind === 'approval';
}

/** The rule a profile recommends for a tool of this class, its reason naming the class. */
export function recommendedRule(risk: RiskClass, profile: Profile, approval?: ApprovalSettings): RuleInput {
  const reason = `${describeClass(risk)}: ${risk.reason}`;
  const recommended = recommendation(risk, profile);
  switch (recommended.kind) {
    case 'allow':
      return { action: 'allow', reason };
    case 'limit':
      return { action: 'allow', reason, rate_limit: { max: recommended.max, window: recommended.window } };
    case 'deny':
      return { action: 'deny', reason: `${reason} (the ${profile} profile denies destructive tools)` };
    case 'approval':
      if (approval === undefined || approval.approvers.length === 0)
        throw new Error('a rule that needs approval needs approvers');
      return {
        action: 'require_approval',
        reason,
        approval: { approvers: [...approval.approvers], timeout: approval.timeout },
      };
  }
}

/** "destructive, high risk" / "read, open-world, medium risk". */
/** The short form for table cells: "write/medium", "read+open/low". */
export function shortRiskClass(risk: RiskClass): string {
  return `${risk.category}${risk.openWorld ? '+open' : ''}/${risk.level}`;
}

export function describeClass(risk: RiskClass): string {
  return `${risk.category}${risk.openWorld ? ', open-world' : ''}, ${risk.level} risk`;
}
