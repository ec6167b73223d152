import type {
  ActionsBlock,
  Button,
  ContextBlock,
  HeaderBlock,
  InputBlock,
  KnownBlock,
  ModalView,
  SectionBlock,
} from '@slack/types';
import type { AlreadyDecidedDetails, ApprovalView } from '../approvals/index.js';
import {
  code,
  durationText,
  escapeAndCut,
  mrkdwnLine,
  plainCut,
  prettyJson,
  slackDate,
  SLACK_LIMITS,
  utcText,
  who,
} from './text.js';

/**
 * Block Kit for approvals: the approval message in each state, the Deny modal, the thread
 * outcome, the ephemeral answers. Pure: the redactor and the clock are parameters. Everything
 * stays within Slack's limits by construction (src/slack/messages.test.ts checks them).
 */

export const APPROVE_ACTION = 'airlock_approve';
export const DENY_ACTION = 'airlock_deny';
export const DENY_MODAL = 'airlock_deny_modal';
export const REASON_BLOCK = 'reason';
export const REASON_INPUT = 'reason';
const REASON_MAX = 500;

/** Redacts argument values by key before anything is shown (src/audit/redact.ts `createRedactor`). */
export type Redactor = (value: unknown) => unknown;

export interface SlackMessage {
  /** The notification and accessibility fallback; always set. */
  text: string;
  blocks: KnownBlock[];
}

const MORE_NOTE_RESERVE = 40;

export function approvalMessage(view: ApprovalView, redact: Redactor): SlackMessage {
  const blocks: KnownBlock[] = [
    header(headline(view)),
    {
      type: 'section',
      fields: [
        field(`*Who*\ngrant ${code(view.grant, 100)}${view.owner === undefined ? '' : ` (owner ${who(view.owner)})`}`),
        field(`*What*\n${code(view.server, 100)} · ${code(view.tool, 200)}`),
        field(
          `*Why*\n${view.reason === undefined ? '' : mrkdwnLine(view.reason, 1_500) + '\n'}rule ${code(view.rule, 300)}`,
        ),
        field(`*Until*\n${slackDate(view.expiresAt)} (timeout ${mrkdwnLine(view.timeout, 20)})`),
      ],
    } satisfies SectionBlock,
    argumentsSection(view.args, redact),
    context(approvalsLine(view)),
  ];
  const status = statusLine(view);
  if (status !== undefined) blocks.push(section(status));
  if (view.state === 'pending') blocks.push(buttons(view.id));
  blocks.push(context(`approval ${code(view.id, 60)}`));
  return { text: fallbackText(view), blocks };
}

function headline(view: ApprovalView): string {
  const tool = view.tool;
  switch (view.state) {
    case 'pending':
      return `🔐 Approval needed: ${tool}`;
    case 'approved':
      return `✅ Approved: ${tool}`;
    case 'executing':
      return `⏳ Running: ${tool}`;
    case 'executed':
      return view.outcome === 'ok'
        ? `✅ Done: ${tool}`
        : view.outcome === 'error'
          ? `⚠️ Tool error: ${tool}`
          : `❓ Outcome unknown: ${tool}`;
    case 'denied':
      return `⛔ Denied: ${tool}`;
    case 'expired':
      return `⌛ Expired: ${tool}`;
    case 'withdrawn':
      return `↩️ Withdrawn: ${tool}`;
  }
}

/** The arguments as pretty JSON, redacted first, then cut to the section limit with "… N more characters". */
function argumentsSection(args: unknown, redact: Redactor): SectionBlock {
  const head = '*Arguments*\n```\n';
  const tail = '\n```';
  const json = prettyJson(redact(args));
  const budget = SLACK_LIMITS.sectionText - head.length - tail.length;
  let { text, omitted } = escapeAndCut(json, budget);
  if (omitted > 0) ({ text, omitted } = escapeAndCut(json, budget - MORE_NOTE_RESERVE));
  const more = omitted > 0 ? `\n… ${omitted} more characters` : '';
  return section(head + text + tail + more);
}

function approvalsLine(view: ApprovalView): string {
  const so = view.approvals.map((a) => `${who(a.approver)} (${slackDate(a.at)})`).join(', ');
  const count = `Approvals: ${view.approvals.length} of ${view.minApprovals}${so ? ` — ${so}` : ''}`;
  const approvers = `Approvers: ${view.approvers.slice(0, 20).map(who).join(', ')}${view.approvers.length > 20 ? ` and ${view.approvers.length - 20} more` : ''}`;
  // A task's agent is not holding a request: approving runs the call whenever it comes.
  const waits = view.task ? ' · the agent waits as an MCP task' : '';
  return `${count} · ${approvers}${view.allowSelfApproval ? '' : ' · no self-approval'}${waits}`;
}

function decisionLine(verb: string, view: ApprovalView): string {
  const by = view.decidedBy === undefined ? '' : ` by ${who(view.decidedBy)}`;
  const at = view.decidedAt === undefined ? '' : ` ${slackDate(view.decidedAt)}`;
  const why = view.decisionReason ? `\n> ${mrkdwnLine(view.decisionReason, 1_000).replace(/\n/gu, '\n> ')}` : '';
  return `*${verb}*${by}${at}${why}`;
}

function statusLine(view: ApprovalView): string | undefined {
  switch (view.state) {
    case 'pending':
      return undefined;
    case 'approved':
      return `✅ ${decisionLine('Approved', view)}`;
    case 'executing':
      return `✅ ${decisionLine('Approved', view)}\n⏳ Running since ${slackDate(view.executionStartedAt ?? view.decidedAt ?? view.createdAt)}`;
    case 'executed':
      return `✅ ${decisionLine('Approved', view)}\n${outcomeSummary(view)} (details in the thread)`;
    case 'denied':
      return `⛔ ${decisionLine('Denied', view)}`;
    case 'withdrawn':
      return `↩️ ${decisionLine('Withdrawn', view)}`;
    case 'expired':
      return `⌛ *Expired* ${slackDate(view.decidedAt ?? view.expiresAt)}: no decision within ${mrkdwnLine(view.timeout, 20)}. The call was not run.`;
  }
}

function outcomeSummary(view: ApprovalView): string {
  const took =
    view.executionStartedAt !== undefined && view.finishedAt !== undefined
      ? ` in ${durationText(view.finishedAt - view.executionStartedAt)}`
      : '';
  if (view.outcome === 'ok') return `✅ Ran: ok${took}`;
  if (view.outcome === 'error') return `⚠️ Ran: tool error${took}`;
  return `❌ Failure: outcome unknown${took}`;
}

function buttons(id: string): ActionsBlock {
  if (id.length > SLACK_LIMITS.buttonValue)
    throw new RangeError(`approval id longer than a button value may be: ${id.length}`);
  const approve: Button = {
    type: 'button',
    action_id: APPROVE_ACTION,
    text: { type: 'plain_text', text: 'Approve', emoji: true },
    style: 'primary',
    value: id,
    confirm: {
      title: { type: 'plain_text', text: 'Approve this call?' },
      text: {
        type: 'mrkdwn',
        text: 'Airlock will run the call right away, with the arguments shown. This cannot be undone.',
      },
      confirm: { type: 'plain_text', text: 'Approve' },
      deny: { type: 'plain_text', text: 'Cancel' },
    },
  };
  const deny: Button = {
    type: 'button',
    action_id: DENY_ACTION,
    text: { type: 'plain_text', text: 'Deny…', emoji: true },
    style: 'danger',
    value: id,
  };
  return { type: 'actions', block_id: 'airlock_decision', elements: [approve, deny] };
}

function fallbackText(view: ApprovalView): string {
  const call = `${view.grant}'s ${view.server}/${view.tool} call`;
  const by = view.decidedBy === undefined ? '' : ` by ${view.decidedBy}`;
  const text = (() => {
    switch (view.state) {
      case 'pending':
        return `Approval needed: grant ${view.grant} wants to run ${view.server}/${view.tool} (expires ${utcText(view.expiresAt)}, approval ${view.id})`;
      case 'approved':
      case 'executing':
        return `Approved${by}: ${call}`;
      case 'executed':
        return `Approved${by}, ran (${view.outcome ?? 'unknown'}): ${call}`;
      case 'denied':
        return `Denied${by}: ${call}`;
      case 'expired':
        return `Expired with no decision: ${call}`;
      case 'withdrawn':
        return `Withdrawn${by}: ${call}`;
    }
  })();
  return mrkdwnLine(text, SLACK_LIMITS.fallbackText);
}

/** The thread reply once the call has run: outcome, duration, a short summary of the result (redacted). */
export function outcomeText(view: ApprovalView, redact: Redactor): string {
  const summary = resultSummary(view.result, redact);
  const line = outcomeSummary(view);
  if (view.outcome === 'unknown') {
    return `${line}: the Airlock process running it stopped before it finished. It may or may not have taken effect and will not be run again.${summary ? `\n> ${summary}` : ''}`;
  }
  return summary ? `${line}\n> ${summary}` : line;
}

/** The first text content (JSON texts redacted by key), else the redacted structured content; one line, ≤ 300 characters. */
export function resultSummary(result: unknown, redact: Redactor, max = 300): string {
  if (result === null || typeof result !== 'object') return result === undefined ? '' : mrkdwnLine(String(result), max);
  const r = result as { content?: unknown; structuredContent?: unknown; error?: unknown };
  let text: string | undefined;
  if (Array.isArray(r.content)) {
    const first = r.content.find(
      (c): c is { type: 'text'; text: string } =>
        typeof c === 'object' && c !== null && (c as { type?: unknown }).type === 'text',
    );
    if (first !== undefined) text = redactJsonText(first.text, redact);
    else if (r.content.length > 0)
      text = `(${r.content.length} non-text content item${r.content.length === 1 ? '' : 's'})`;
  }
  if (text === undefined && r.structuredContent !== undefined) text = JSON.stringify(redact(r.structuredContent));
  if (text === undefined && r.error !== undefined) text = String(r.error);
  if (text === undefined) text = JSON.stringify(redact(result));
  return mrkdwnLine(text.replace(/\s+/gu, ' ').trim(), max);
}

function redactJsonText(text: string, redact: Redactor): string {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return text;
  try {
    return JSON.stringify(redact(JSON.parse(trimmed)));
  } catch {
    return text;
  }
}

/** Where the approval message lives; the modal carries it so the submission needs no lookup. */
export interface DenyModalMetadata {
  id: string;
  channel?: string;
  ts?: string;
}

export function denyModal(view: ApprovalView, metadata: DenyModalMetadata): ModalView {
  const input: InputBlock = {
    type: 'input',
    block_id: REASON_BLOCK,
    optional: true,
    label: { type: 'plain_text', text: 'Reason (optional; the agent and the audit trail see it)' },
    element: { type: 'plain_text_input', action_id: REASON_INPUT, multiline: true, max_length: REASON_MAX },
  };
  return {
    type: 'modal',
    callback_id: DENY_MODAL,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: 'Deny call' },
    submit: { type: 'plain_text', text: 'Deny' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      section(
        `Deny ${code(view.tool, 200)} on ${code(view.server, 100)} for grant ${code(view.grant, 100)}?\nThe call will not run, and the agent is told it was denied.`,
      ),
      input,
    ],
  };
}

export function parseDenyMetadata(text: string | undefined): DenyModalMetadata | undefined {
  try {
    const value = JSON.parse(text ?? '') as Partial<DenyModalMetadata>;
    if (typeof value.id !== 'string') return undefined;
    return {
      id: value.id,
      ...(typeof value.channel === 'string' ? { channel: value.channel } : {}),
      ...(typeof value.ts === 'string' ? { ts: value.ts } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Ephemeral answers to the person who clicked. */
export const ephemeral = {
  notApprover: (view?: Pick<ApprovalView, 'approvers'>) =>
    `You are not an approver for this call.${view === undefined ? '' : ` Approvers: ${view.approvers.slice(0, 20).map(who).join(', ')}.`}`,
  selfApproval: (view?: Pick<ApprovalView, 'grant'>) =>
    `Self-approval is not allowed: you own ${view === undefined ? 'the grant' : `grant ${code(view.grant, 100)}`} whose agent made this call. Ask another approver.`,
  alreadyDecided: (details: AlreadyDecidedDetails | undefined, view?: Pick<ApprovalView, 'timeout'>) => {
    const at = details?.decidedAt === undefined ? '' : ` at ${slackDate(details.decidedAt)}`;
    const by = details?.decidedBy === undefined ? '' : ` by ${who(details.decidedBy)}`;
    switch (details?.state) {
      case 'expired':
        return `This call expired${at} with no decision${view === undefined ? '' : ` within ${mrkdwnLine(view.timeout, 20)}`}; it was not run.`;
      case 'withdrawn':
        return `This request was withdrawn${by}${at}; it was not run.`;
      case 'denied':
        return `Already denied${by}${at}.`;
      case undefined:
        return 'This call was already decided.';
      default:
        return `Already approved${by}${at}.`;
    }
  },
  counted: (view: Pick<ApprovalView, 'approvals' | 'minApprovals'>) =>
    `Your approval is counted: ${view.approvals.length} of ${view.minApprovals}. The call runs once ${view.minApprovals - view.approvals.length} more approver${view.minApprovals - view.approvals.length === 1 ? '' : 's'} approve.`,
  alreadyYours: (view: Pick<ApprovalView, 'approvals' | 'minApprovals'>) =>
    `You already approved this call (${view.approvals.length} of ${view.minApprovals}); another approver is needed.`,
  notFound: (id: string) =>
    `Approval ${code(id, 60)} no longer exists (it closed longer ago than Airlock keeps approvals).`,
  unavailable: (id: string) =>
    `Airlock could not record your decision just now (its Redis is unreachable). Try again in a moment, or run \`airlock approvals approve ${id} --as <your Slack id>\`.`,
} as const;

function header(text: string): HeaderBlock {
  return { type: 'header', text: { type: 'plain_text', text: plainCut(text, SLACK_LIMITS.headerText), emoji: true } };
}

// Last-resort caps: the builders above stay within these limits by construction.
function section(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: plainCut(text, SLACK_LIMITS.sectionText) } };
}

function field(text: string): { type: 'mrkdwn'; text: string } {
  return { type: 'mrkdwn', text: plainCut(text, SLACK_LIMITS.sectionField) };
}

function context(text: string): ContextBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: plainCut(text, SLACK_LIMITS.contextText) }] };
}

/**
 * For the agent's progress text while the approval message cannot be delivered (plain text: the
 * model reads it). The approval stays pending and decidable from the CLI and the console.
 */
export function deliveryNoteText(
  approvalId: string,
  error: { kind: 'unreachable' | 'rate_limited' | 'rejected'; message: string },
): string {
  const how = `approvers can still decide with \`airlock approvals approve ${approvalId} --as <user>\` (or \`deny\`) or in the Airlock console`;
  switch (error.kind) {
    case 'rate_limited':
      return `Slack is rate-limiting Airlock, so the approval message is delayed; ${how}.`;
    case 'rejected':
      return `Slack refused the approval message (${error.message.slice(0, 120)}); ${how}.`;
    case 'unreachable':
      return `Slack could not be reached, so approvers may not have seen this request yet (Airlock keeps retrying); ${how}.`;
  }
}
