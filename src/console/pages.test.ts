import { describe, expect, it } from 'vitest';
import type { ApprovalView } from '../approvals/index.js';
import { pendingList, type ConsoleApproval } from './pages.js';

const NOW = Date.parse('2026-12-03T09:00:00Z');

function view(overrides: Partial<ConsoleApproval> = {}): ConsoleApproval {
  const base: ApprovalView = {
    id: 'apr_abcdefghijklmnopqrst',
    state: 'pending',
    grant: 'ci-agent',
    server: 'mlflow',
    tool: 'copy_model_version',
    args: { src_model_name: 'churn', src_version: '3', dst_model_name: 'prod-churn' },
    argsSummary: '',
    fingerprint: 'f',
    rule: '/tools/copy_model_version',
    approvers: ['U0APPROVER'],
    minApprovals: 2,
    allowSelfApproval: false,
    timeout: '15m',
    approvals: [{ approver: 'U0FIRST', at: NOW - 1_000 }],
    createdAt: NOW - 90_000,
    expiresAt: NOW + 15 * 60_000,
    collected: false,
    version: 2,
    task: false,
  };
  return { ...base, ...overrides };
}

/** The text of the item's Agent field. */
function agentText(item: ConsoleApproval): string {
  const rendered = pendingList([item], 'csrf', NOW).text;
  return /<dd class="agent">([^<]*)<\/dd>/u.exec(rendered)?.[1] ?? '(no Agent field)';
}

describe('a pending item', () => {
  it('says how the agent waits: request open now, detached, unknown, or an MCP task', () => {
    expect(agentText(view({ agentsWaiting: 1 }))).toBe('waiting — its request is held open for the decision');
    expect(agentText(view({ agentsWaiting: 2 }))).toBe('waiting — 2 requests are held open for the decision');
    expect(agentText(view({ agentsWaiting: 0 }))).toMatch(/^detached — no request is open/u);
    expect(agentText(view())).toMatch(/unknown/u);
    expect(agentText(view({ task: true, agentsWaiting: 0 }))).toMatch(/^an MCP task — runs once approved/u);
  });

  it('shows approvals so far of the needed, age and expiry, and escapes what the agent sent', () => {
    const rendered = pendingList([view({ args: { dst_model_name: '<script>alert(1)</script>' } })], 'csrf', NOW).text;
    expect(rendered).toContain('1 of 2 (U0FIRST)');
    expect(rendered).toMatch(/data-age>1m/u);
    expect(rendered).toContain('data-countdown>15m');
    expect(rendered).not.toContain('<script>alert');
    expect(rendered).toContain('&lt;script&gt;');
  });
});
