import { formatDuration } from '../shared/index.js';
import type { ToolClassification } from './evaluate.js';

/** A tool's effective decision in words: what `check` and the console print, and `check --against` compares. */
export function describeDecision(d: ToolClassification): { decision: string; limits: string; approval: string } {
  return {
    decision: d.hidden ? 'deny (hidden)' : d.action + (d.conditional ? ' (conditional)' : ''),
    limits: d.limits.map((l) => `${l.counter} ${l.max}/${l.window} per ${l.scope}`).join(', ') || '-',
    approval: d.approval
      ? `${d.approval.minApprovals} of ${d.approval.approvers.join(' ')}, expires ${formatDuration(d.approval.timeoutMs)}`
      : '-',
  };
}

/** One line of effect: "require_approval; copy_model_version_rate 30/minute per grant; 1 of U0…, expires 15m". */
export function effect(d: ToolClassification): string {
  const { decision, limits, approval } = describeDecision(d);
  return [decision, limits === '-' ? '' : limits, approval === '-' ? '' : approval].filter(Boolean).join('; ');
}
