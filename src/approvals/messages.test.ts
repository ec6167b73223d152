import { describe, expect, it } from 'vitest';
import {
  deniedMessage,
  expiredMessage,
  maxPendingMessage,
  messageForOutcome,
  pendingMessage,
  progressMessage,
  taskStatusMessage,
  unknownMessage,
  withdrawnMessage,
} from './messages.js';
import type { ApprovalView } from './schema.js';

const created = Date.UTC(2026, 10, 25, 14, 17);
function view(overrides: Partial<ApprovalView> = {}): ApprovalView {
  return {
    id: 'apr_abcdefghijklmnopqrst',
    state: 'pending',
    grant: 'ci-agent',
    owner: 'U0OWNER',
    server: 'mlflow',
    tool: 'copy_model_version',
    args: { name: 'm' },
    argsSummary: 'name="m"',
    fingerprint: 'f',
    rule: '/tools/copy_model_version',
    approvers: ['U0123ABCD'],
    minApprovals: 1,
    allowSelfApproval: false,
    timeout: '15m',
    approvals: [],
    createdAt: created,
    expiresAt: created + 15 * 60_000,
    collected: false,
    version: 1,
    task: false,
    ...overrides,
  };
}

describe('agent messages', () => {
  it('denied: who, when, why, and not to retry unchanged', () => {
    const m = deniedMessage(
      view({ state: 'denied', decidedBy: 'U0123ABCD', decidedAt: created + 60_000, decisionReason: 'wrong target' }),
    );
    expect(m.isError).toBe(true);
    expect(m.text).toMatch(/^Denied by U0123ABCD at 2026-11-25T14:18:00.000Z: wrong target\. .*not run/);
    expect(m.structuredContent).toEqual({
      status: 'denied',
      approval_id: 'apr_abcdefghijklmnopqrst',
      decided_by: 'U0123ABCD',
      decided_at: '2026-11-25T14:18:00.000Z',
      reason: 'wrong target',
    });
  });

  it('expired: distinct from denial, with the timeout', () => {
    const m = expiredMessage(view({ state: 'expired', decidedAt: created + 15 * 60_000 }));
    expect(m.text.startsWith('expired: no decision within 15m.')).toBe(true);
    expect(m.text).not.toMatch(/denied/i);
    expect(m.structuredContent).toMatchObject({
      status: 'expired',
      approval_id: 'apr_abcdefghijklmnopqrst',
      expires_at: '2026-11-25T14:32:00.000Z',
    });
  });

  it('pending: not an error, tells the model to call the same tool with the same arguments again', () => {
    const m = pendingMessage(view(), { toolName: 'mlflow_copy_model_version', now: created });
    expect(m.isError).toBe(false);
    expect(m.text).toContain('call mlflow_copy_model_version again with exactly the same arguments');
    expect(m.text).toContain('expires 14:32 UTC');
    expect(m.structuredContent).toEqual({
      status: 'pending',
      approval_id: 'apr_abcdefghijklmnopqrst',
      approval_state: 'pending',
      expires_at: '2026-11-25T14:32:00.000Z',
    });
    expect(pendingMessage(view({ state: 'executing' })).text).toContain('being run by another request');
  });

  it('withdrawn, unknown and max_pending', () => {
    expect(
      withdrawnMessage(view({ state: 'withdrawn', decidedBy: 'cli:ops', decidedAt: created })).structuredContent,
    ).toMatchObject({ status: 'withdrawn', withdrawn_by: 'cli:ops' });
    expect(unknownMessage(view({ state: 'executed', outcome: 'unknown' })).text).toContain('will not run it again');
    const max = maxPendingMessage({ grant: 'ci-agent', maxPending: 10, pending: 10 });
    expect(max).toMatchObject({
      status: 'max_pending',
      isError: true,
      structuredContent: { grant: 'ci-agent', max_pending: 10 },
    });
    expect(max.text).toContain('max_pending 10');
  });

  it('progress: approvers, count needed, channel, expiry, id', () => {
    expect(progressMessage(view({ channel: '#ml-approvals' }), created)).toBe(
      'Awaiting approval by U0123ABCD (1 of 1 needed) in #ml-approvals; expires 14:32 UTC; approval apr_abcdefghijklmnopqrst',
    );
    const two = view({
      approvers: ['U1', 'U2', 'U3', 'S4'],
      minApprovals: 2,
      approvals: [{ approver: 'U1', at: created }],
    });
    expect(progressMessage(two, created)).toContain('U1, U2, U3 or 1 more (1 of 2 needed)');
  });

  it('messageForOutcome picks the builder by kind', () => {
    expect(messageForOutcome({ kind: 'expired', view: view({ state: 'expired' }) }).status).toBe('expired');
    expect(messageForOutcome({ kind: 'pending', view: view() }).status).toBe('pending');
  });

  it('task status: approvals so far of those needed while pending, then what happened', () => {
    expect(taskStatusMessage(view({ channel: '#ml-approvals' }), created)).toBe(
      'Awaiting approval by U0123ABCD in #ml-approvals (0 of 1); expires 14:32 UTC; approval apr_abcdefghijklmnopqrst',
    );
    const counted = view({ minApprovals: 2, approvers: ['U1', 'U2'], approvals: [{ approver: 'U1', at: created }] });
    expect(taskStatusMessage(counted, created)).toContain('U1 or U2 (1 of 2)');
    const ran = view({ state: 'executed', outcome: 'ok', decidedBy: 'U1' });
    expect(taskStatusMessage(ran)).toBe('Approved by U1; the call ran; approval apr_abcdefghijklmnopqrst');
    expect(taskStatusMessage(view({ state: 'executing', decidedBy: 'U1' }))).toContain('running upstream');
    expect(taskStatusMessage(view({ state: 'denied', decidedBy: 'U1', decisionReason: 'no' }))).toMatch(
      /^Denied by U1/,
    );
    expect(taskStatusMessage(view({ state: 'executed', outcome: 'unknown' }))).toMatch(/^Outcome unknown/);
  });
});
