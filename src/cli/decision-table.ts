// The words of a decision and of a risk class live with the policy and the risk boundaries (the
// console shows them too); `check`, `explain` and `replay` keep importing them from here.
export { describeDecision, effect } from '../policy/index.js';
export { shortRiskClass as riskCell } from '../risk/index.js';

/** Columns padded to their widest cell; the last column is not padded. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const render = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [render(header), ...rows.map(render)].join('\n');
}
