import { describe, expect, it } from 'vitest';
import type { ApprovalView } from '../approvals/index.js';
import {
  approvalMessage,
  APPROVE_ACTION,
  DENY_ACTION,
  DENY_MODAL,
  deliveryNoteText,
  denyModal,
  ephemeral,
  outcomeText,
  parseDenyMetadata,
  resultSummary,
  type SlackMessage,
} from './messages.js';
import { escapeAndCut, slackDate, SLACK_LIMITS } from './text.js';

const NOW = Date.UTC(2026, 10, 25, 14, 17, 0);

function view(overrides: Partial<ApprovalView> = {}): ApprovalView {
  return {
    id: 'apr_abcdefghijklmnopqrst',
    state: 'pending',
    grant: 'ci-agent',
    owner: 'U0OWNER',
    server: 'mlflow',
    tool: 'copy_model_version',
    args: { src_model_name: 'churn', version: '3', dst_model_name: 'prod-churn' },
    argsSummary: '',
    fingerprint: 'f',
    rule: '/tools/copy_model_version',
    reason: 'Promotes a model version into another registered model',
    approvers: ['U0APPROVER', 'S0PLATFORM'],
    minApprovals: 1,
    allowSelfApproval: false,
    timeout: '15m',
    approvals: [],
    createdAt: NOW,
    expiresAt: NOW + 15 * 60_000,
    collected: false,
    version: 1,
    task: false,
    ...overrides,
  };
}

const redact = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, /token|secret|password/iu.test(k) ? '[redacted]' : redact(v)]),
  );
};

type Block = {
  type: string;
  text?: { text: string };
  fields?: { text: string }[];
  elements?: { type?: string; text?: unknown; value?: string; action_id?: string }[];
};

/** Every limit the Web API enforces, checked on the output. */
function expectWithinLimits(message: SlackMessage): void {
  expect(message.text.length).toBeGreaterThan(0);
  expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
  expect(message.blocks.length).toBeLessThanOrEqual(50);
  for (const block of message.blocks as Block[]) {
    if (block.type === 'header') expect(block.text!.text.length).toBeLessThanOrEqual(150);
    if (block.type === 'section') {
      expect(block.text?.text.length ?? 0).toBeLessThanOrEqual(3_000);
      expect(block.fields?.length ?? 0).toBeLessThanOrEqual(10);
      for (const f of block.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(2_000);
    }
    if (block.type === 'context') {
      expect(block.elements!.length).toBeLessThanOrEqual(10);
      for (const e of block.elements!) expect((e.text as string).length).toBeLessThanOrEqual(2_000);
    }
    if (block.type === 'actions') for (const e of block.elements!) expect(e.value!.length).toBeLessThanOrEqual(2_000);
  }
}

const blocksOf = (m: SlackMessage) => m.blocks as Block[];
const all = (m: SlackMessage) => JSON.stringify(m.blocks);

describe('approvalMessage', () => {
  it('shows who, what, why, until when and N-of-M, with Approve (confirm) and Deny buttons whose value is only the id', () => {
    const m = approvalMessage(view(), redact);
    expectWithinLimits(m);
    expect(m.text).toBe(
      'Approval needed: grant ci-agent wants to run mlflow/copy_model_version (expires 2026-11-25 14:32 UTC, approval apr_abcdefghijklmnopqrst)',
    );
    expect(blocksOf(m)[0]!.text!.text).toBe('🔐 Approval needed: copy_model_version');
    expect(blocksOf(m)[1]!.fields!.map((f) => f.text)).toEqual([
      '*Who*\ngrant `ci-agent` (owner <@U0OWNER>)',
      '*What*\n`mlflow` · `copy_model_version`',
      '*Why*\nPromotes a model version into another registered model\nrule `/tools/copy_model_version`',
      `*Until*\n<!date^${(NOW + 900_000) / 1_000}^{date_short_pretty} at {time}|2026-11-25 14:32 UTC> (timeout 15m)`,
    ]);
    expect(all(m)).toContain('Approvals: 0 of 1 · Approvers: <@U0APPROVER>, <!subteam^S0PLATFORM> · no self-approval');
    const actions = blocksOf(m).find((b) => b.type === 'actions')!;
    expect(actions.elements!.map((e) => [e.action_id, e.value])).toEqual([
      [APPROVE_ACTION, 'apr_abcdefghijklmnopqrst'],
      [DENY_ACTION, 'apr_abcdefghijklmnopqrst'],
    ]);
    expect(actions.elements![0]).toMatchObject({ style: 'primary', confirm: { confirm: { text: 'Approve' } } });
    expect(actions.elements![1]).toMatchObject({ style: 'danger' });
  });

  it.each([
    [
      'approved',
      {
        state: 'approved',
        decidedBy: 'U0APPROVER',
        decidedAt: NOW + 60_000,
        approvals: [{ approver: 'U0APPROVER', at: NOW + 60_000 }],
      },
      '✅ Approved: copy_model_version',
      '*Approved* by <@U0APPROVER>',
    ],
    [
      'executing',
      { state: 'executing', decidedBy: 'U0APPROVER', decidedAt: NOW, executionStartedAt: NOW + 1 },
      '⏳ Running: copy_model_version',
      'Running since',
    ],
    [
      'executed ok',
      {
        state: 'executed',
        outcome: 'ok',
        decidedBy: 'U0APPROVER',
        decidedAt: NOW,
        executionStartedAt: NOW,
        finishedAt: NOW + 1_250,
      },
      '✅ Done: copy_model_version',
      '✅ Ran: ok in 1.3 s (details in the thread)',
    ],
    [
      'executed error',
      { state: 'executed', outcome: 'error', executionStartedAt: NOW, finishedAt: NOW + 80 },
      '⚠️ Tool error: copy_model_version',
      '⚠️ Ran: tool error in 80 ms',
    ],
    [
      'executed unknown',
      { state: 'executed', outcome: 'unknown' },
      '❓ Outcome unknown: copy_model_version',
      '❌ Failure: outcome unknown',
    ],
    [
      'denied',
      { state: 'denied', decidedBy: 'U0OTHER', decidedAt: NOW, decisionReason: 'no <!here> today' },
      '⛔ Denied: copy_model_version',
      '> no &lt;!here&gt; today',
    ],
    [
      'expired',
      { state: 'expired', decidedAt: NOW + 900_000 },
      '⌛ Expired: copy_model_version',
      'no decision within 15m. The call was not run.',
    ],
    [
      'withdrawn',
      { state: 'withdrawn', decidedBy: 'ops', decidedAt: NOW },
      '↩️ Withdrawn: copy_model_version',
      '*Withdrawn* by ops',
    ],
  ] as const)('%s: a status line instead of buttons', (_, overrides, headline, status) => {
    const m = approvalMessage(view(overrides as Partial<ApprovalView>), redact);
    expectWithinLimits(m);
    expect(blocksOf(m)[0]!.text!.text).toBe(headline);
    expect(all(m)).toContain(status);
    expect(blocksOf(m).some((b) => b.type === 'actions')).toBe(false);
  });

  it('counts approvals so far for N-of-M', () => {
    const m = approvalMessage(view({ minApprovals: 2, approvals: [{ approver: 'U0APPROVER', at: NOW }] }), redact);
    expect(all(m)).toContain(`Approvals: 1 of 2 — <@U0APPROVER> (<!date^${NOW / 1_000}^`);
    expect(blocksOf(m).some((b) => b.type === 'actions')).toBe(true);
  });

  it('says when the agent waits for the call as an MCP task', () => {
    expect(all(approvalMessage(view({ task: true }), redact))).toContain('the agent waits as an MCP task');
    expect(all(approvalMessage(view(), redact))).not.toContain('MCP task');
  });

  it('cuts huge arguments to 3,000 characters with "… N more characters", N exact', () => {
    const args = { blob: 'y'.repeat(20_000) };
    const section = blocksOf(approvalMessage(view({ args }), redact))[2]!.text!.text;
    expect(section.length).toBeLessThanOrEqual(3_000);
    const full = JSON.stringify(args, null, 2);
    const n = Number(/… (\d+) more characters$/u.exec(section)![1]);
    const shown = section.slice('*Arguments*\n```\n'.length, section.lastIndexOf('\n```'));
    expect(full.startsWith(shown)).toBe(true);
    expect(shown.length + n).toBe(full.length);
  });

  it('redacts before cutting: a secret that alone would overflow the section is replaced, nothing is cut', () => {
    const section = blocksOf(
      approvalMessage(view({ args: { access_token: 'z'.repeat(5_000), nested: [{ password: 'p' }] } }), redact),
    )[2]!.text!.text;
    expect(section).not.toContain('zzz');
    expect(section).not.toContain('more characters');
    expect(section).toContain('"access_token": "[redacted]"');
    expect(section).toContain('"password": "[redacted]"');
  });

  it('escapes agent text so nobody gets pinged, and never cuts inside an entity', () => {
    const m = approvalMessage(
      view({ args: { note: '<!channel> <@U0CEO> ' + '&'.repeat(4_000) }, reason: '<!here>', tool: 'x<!everyone>' }),
      redact,
    );
    expectWithinLimits(m);
    // mrkdwn everywhere but the header, which is plain_text (shown literally, never a mention).
    expect(JSON.stringify(m.blocks.slice(1))).not.toMatch(/<!channel>|<!here>|<!everyone>|<@U0CEO>/u);
    expect(m.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    const section = blocksOf(m)[2]!.text!.text;
    const shown = section.slice(section.indexOf('&amp;'), section.lastIndexOf('\n```'));
    expect(shown).toMatch(/^(&amp;)+$/u);
  });

  it('stays within limits with a long tool name, a long reason, many approvers and a code fence in the arguments', () => {
    const m = approvalMessage(
      view({
        tool: 't'.repeat(400),
        grant: 'g'.repeat(300),
        reason: 'r'.repeat(5_000),
        approvers: Array.from({ length: 120 }, (_, i) => `U0A${i}`),
        minApprovals: 10,
        approvals: Array.from({ length: 9 }, (_, i) => ({ approver: `U0A${i}`, at: NOW })),
        args: { code: '```rm -rf```' },
      }),
      redact,
    );
    expectWithinLimits(m);
    expect(all(m)).toContain('and 100 more');
    expect(blocksOf(m)[2]!.text!.text.match(/```/gu)).toHaveLength(2);
  });
});

describe('denyModal', () => {
  it('asks for an optional reason and carries the approval id and message location in private_metadata', () => {
    const modal = denyModal(view(), { id: 'apr_abcdefghijklmnopqrst', channel: 'C0APPROVALS', ts: '1.2' });
    expect(modal.callback_id).toBe(DENY_MODAL);
    expect(modal.title.text.length).toBeLessThanOrEqual(24);
    expect(modal.submit!.text.length).toBeLessThanOrEqual(24);
    expect(modal.blocks[1]).toMatchObject({
      type: 'input',
      optional: true,
      block_id: 'reason',
      element: { action_id: 'reason', max_length: 500 },
    });
    expect(parseDenyMetadata(modal.private_metadata)).toEqual({
      id: 'apr_abcdefghijklmnopqrst',
      channel: 'C0APPROVALS',
      ts: '1.2',
    });
    expect(parseDenyMetadata('not json')).toBeUndefined();
  });
});

describe('outcomeText', () => {
  const executed = (overrides: Partial<ApprovalView>) =>
    view({ state: 'executed', executionStartedAt: NOW, finishedAt: NOW + 2_340, ...overrides });

  it('reports ok with the duration and a short, redacted summary of the result', () => {
    const text = outcomeText(
      executed({ outcome: 'ok', result: { content: [{ type: 'text', text: '{"version":"7","secret_key":"s3"}' }] } }),
      redact,
    );
    expect(text).toBe('✅ Ran: ok in 2.3 s\n> {"version":"7","secret_key":"[redacted]"}');
  });

  it('reports a tool error', () => {
    const text = outcomeText(
      executed({
        outcome: 'error',
        result: { isError: true, content: [{ type: 'text', text: 'RESOURCE_DOES_NOT_EXIST: model churn' }] },
      }),
      redact,
    );
    expect(text).toBe('⚠️ Ran: tool error in 2.3 s\n> RESOURCE_DOES_NOT_EXIST: model churn');
  });

  it('reports a failure whose outcome is unknown', () => {
    const text = outcomeText(
      executed({
        outcome: 'unknown',
        result: { error: 'the Airlock process running this call stopped before it finished' },
      }),
      redact,
    );
    expect(text).toMatch(
      /^❌ Failure: outcome unknown in 2\.3 s: the Airlock process running it stopped before it finished\./u,
    );
  });

  it('summarises structured content, non-text content and long texts within 300 characters', () => {
    expect(resultSummary({ content: [], structuredContent: { token: 't', n: 1 } }, redact)).toBe(
      '{"token":"[redacted]","n":1}',
    );
    expect(resultSummary({ content: [{ type: 'image', data: '', mimeType: 'image/png' }] }, redact)).toBe(
      '(1 non-text content item)',
    );
    expect(resultSummary({ content: [{ type: 'text', text: 'a'.repeat(1_000) }] }, redact)).toHaveLength(300);
  });
});

describe('ephemeral texts', () => {
  it('say what the clicker needs to know', () => {
    expect(ephemeral.notApprover(view())).toBe(
      'You are not an approver for this call. Approvers: <@U0APPROVER>, <!subteam^S0PLATFORM>.',
    );
    expect(ephemeral.selfApproval(view())).toBe(
      'Self-approval is not allowed: you own grant `ci-agent` whose agent made this call. Ask another approver.',
    );
    expect(ephemeral.alreadyDecided({ state: 'approved', decidedBy: 'U0A', decidedAt: NOW })).toBe(
      `Already approved by <@U0A> at ${slackDate(NOW)}.`,
    );
    expect(ephemeral.alreadyDecided({ state: 'denied', decidedBy: 'U0A', decidedAt: NOW })).toBe(
      `Already denied by <@U0A> at ${slackDate(NOW)}.`,
    );
    expect(ephemeral.alreadyDecided({ state: 'expired', decidedAt: NOW }, view())).toBe(
      `This call expired at ${slackDate(NOW)} with no decision within 15m; it was not run.`,
    );
    expect(ephemeral.counted(view({ minApprovals: 3, approvals: [{ approver: 'U0A', at: NOW }] }))).toBe(
      'Your approval is counted: 1 of 3. The call runs once 2 more approvers approve.',
    );
  });

  it('deliveryNoteText tells the agent Slack could not be reached and how approvers can still decide', () => {
    expect(deliveryNoteText('apr_x', { kind: 'unreachable', message: 'ECONNREFUSED' })).toBe(
      'Slack could not be reached, so approvers may not have seen this request yet (Airlock keeps retrying); ' +
        'approvers can still decide with `airlock approvals approve apr_x --as <user>` (or `deny`) or in the Airlock console.',
    );
  });
});

describe('escapeAndCut', () => {
  it('counts the raw characters left out and never splits a surrogate pair', () => {
    expect(escapeAndCut('a<b', 5)).toEqual({ text: 'a&lt;', omitted: 1 });
    expect(escapeAndCut('a<b', 4)).toEqual({ text: 'a', omitted: 2 });
    expect(escapeAndCut('😀😀', 3)).toEqual({ text: '😀', omitted: 1 });
  });
});
