import type { ToolClassification } from '../policy/index.js';
import type { RiskClass } from '../risk/index.js';
import { formatDuration } from '../shared/index.js';

/** A tool's effective decision in words: what `check` prints and `check --against` compares. */
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

export const riskCell = (risk: RiskClass) => `${risk.category}${risk.openWorld ? '+open' : ''}/${risk.level}`;

/** Columns padded to their widest cell; the last column is not padded. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const render = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [render(header), ...rows.map(render)].join('\n');
}
