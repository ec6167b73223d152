import { sourceEvents, type AuditEvent, type AuditEventType, type AuditSource } from '../audit/index.js';
import { html, layout, type Html, type PageChrome } from './html.js';

/**
 * A call's story: every audit event of one call (and of the approval it waited on, whose events
 * other processes may have written under another call id) as one timeline, oldest first.
 */

/** How a step reads at a glance (a CSS class and a word for screen readers). */
export type StepTone = 'ok' | 'denied' | 'waiting' | 'info';

export interface StoryStep {
  id: string;
  time: string;
  type: AuditEventType;
  /** One line: "Policy: require_approval", "Approved by U0…". */
  title: string;
  tone: StepTone;
  /** Label → value pairs, in display order (rule, reason, risk, counter, …). */
  details: { label: string; value: string }[];
  /** The call this event was written under, when it is not the story's own (an approval's trail). */
  otherCallId?: string;
  approvalId?: string;
}

export interface CallStory {
  callId: string;
  found: boolean;
  grant?: string;
  session?: string;
  server?: string;
  tool?: string;
  argsSha256?: string;
  /** The redacted arguments from the first event that carries them (a preview when `argsTruncated`). */
  args?: unknown;
  argsTruncated: boolean;
  argsBytes?: number;
  approvalIds: string[];
  /** Set when the id is an approval's: the calls that waited on it, first one first. */
  waitingCalls?: string[];
  steps: StoryStep[];
  outcome?: { outcome: string; durationMs: number; error?: string };
  startedAt?: string;
  endedAt?: string;
}

/**
 * When a step happened: a decision's own time (`decided_at`), since its event is written when the
 * approval's job completes, after the call it released was forwarded; else the event's time.
 */
function happenedAt(e: AuditEvent): number {
  const decidedAt =
    e.type === 'approval.decided' || e.type === 'approval.expired' || e.type === 'approval.withdrawn'
      ? e.decided_at
      : undefined;
  return Date.parse(decidedAt ?? e.time);
}

const inOrder = (a: AuditEvent, b: AuditEvent) =>
  happenedAt(a) - happenedAt(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The calls that waited on approval `id` (its `approval.requested` events name them), first one first. */
function callsOf(events: readonly AuditEvent[], id: string): string[] {
  return [
    ...new Set(events.filter((e) => e.type === 'approval.requested' && e.approval_id === id).map((e) => e.call_id)),
  ];
}

/** The view model of one call from its events (any order; duplicates by id are dropped). */
export function callStory(events: readonly AuditEvent[], callId: string): CallStory {
  const unique = [...new Map(events.map((e) => [e.id, e])).values()].sort(inOrder);
  // The id may be a call's or an approval's (whose own events carry it as call_id too): an
  // approval's story is that of the calls that waited on it.
  const isApproval = unique.some((e) => e.approval_id === callId);
  const calls = isApproval ? [...callsOf(unique, callId), callId] : [callId];
  const own = unique.filter((e) => calls.includes(e.call_id) || e.approval_id === callId);
  const approvalIds = [...new Set(own.flatMap((e) => (e.approval_id === undefined ? [] : [e.approval_id])))];
  const related = unique.filter(
    (e) => calls.includes(e.call_id) || (e.approval_id !== undefined && approvalIds.includes(e.approval_id)),
  );
  const story: CallStory = {
    callId,
    found: related.length > 0,
    argsTruncated: false,
    approvalIds,
    steps: related.map((e) => stepOf(e, calls[0] ?? callId)),
    ...(isApproval ? { waitingCalls: calls.filter((c) => c !== callId) } : {}),
  };
  const first = own[0] ?? related[0];
  if (first === undefined) return story;
  Object.assign(story, {
    grant: first.grant,
    server: first.server,
    tool: first.tool,
    argsSha256: first.args_sha256,
    startedAt: related[0]!.time,
    endedAt: related.at(-1)!.time,
    ...(first.session === undefined ? {} : { session: first.session }),
  });
  const withArgs = [...own, ...related].find((e) => e.args !== undefined);
  if (withArgs !== undefined) {
    story.args = withArgs.args;
    story.argsTruncated = withArgs.args_truncated === true;
    if (withArgs.args_bytes !== undefined) story.argsBytes = withArgs.args_bytes;
  }
  const outcome = own.findLast((e) => e.type === 'call.outcome');
  if (outcome?.type === 'call.outcome')
    story.outcome = {
      outcome: outcome.outcome,
      durationMs: outcome.duration_ms,
      ...(outcome.error === undefined ? {} : { error: outcome.error }),
    };
  return story;
}

function stepOf(event: AuditEvent, callId: string): StoryStep {
  const details: { label: string; value: string }[] = [];
  const add = (label: string, value: string | number | undefined) => {
    if (value !== undefined && value !== '') details.push({ label, value: String(value) });
  };
  let title: string;
  let tone: StepTone = 'info';
  switch (event.type) {
    case 'call.received':
      title = event.continues === undefined ? 'Received' : 'Received (a retry answering input)';
      add('Continues', event.continues);
      add('Answers', event.answers?.join(', '));
      break;
    case 'policy.decided':
      title = `Policy: ${event.action}`;
      tone = event.action === 'allow' ? 'ok' : event.action === 'deny' ? 'denied' : 'waiting';
      add('Rule', event.rule);
      add('Reason', event.reason);
      if (event.risk)
        add('Risk', `${event.risk.category}${event.risk.open_world ? ', open-world' : ''}, ${event.risk.level} risk`);
      break;
    case 'policy.shadowed':
      title = `Shadow policy would ${event.would === 'limit' ? 'rate-limit' : event.would}`;
      add('Rule', event.rule);
      add('Reason', event.reason);
      if (event.counter !== undefined) add('Counter', `${event.counter} ${event.max}/${event.window}`);
      break;
    case 'call.rate_limited':
      title = 'Rate limited';
      tone = 'denied';
      add('Rule', event.rule);
      add('Counter', `${event.counter} ${event.max}/${event.window}`);
      add('Retry after', `${event.retry_after_ms} ms`);
      break;
    case 'call.refused':
      title = `Refused: ${event.reason}`;
      tone = 'denied';
      add('Error', event.error);
      break;
    case 'approval.requested':
      title = event.attached === true ? 'Attached to a pending approval' : 'Approval requested';
      tone = 'waiting';
      add('Rule', event.rule);
      add('Reason', event.reason);
      add('Approvers', event.approvers?.join(', '));
      add('Expires', event.expires_at);
      if (event.task === true) add('Waits as', 'an MCP task');
      break;
    case 'approval.decided':
      title =
        event.decision === 'approval_counted'
          ? `Approval counted from ${event.approver}`
          : `${event.decision === 'approved' ? 'Approved' : 'Denied'} by ${event.approver}`;
      tone = event.decision === 'denied' ? 'denied' : 'ok';
      add('Recorded at', event.time);
      add('Reason', event.reason);
      break;
    case 'approval.expired':
      title = 'Approval expired without a decision';
      tone = 'denied';
      break;
    case 'approval.withdrawn':
      title = `Approval withdrawn${event.approver === undefined ? '' : ` by ${event.approver}`}`;
      tone = 'denied';
      add('Reason', event.reason);
      break;
    case 'call.forwarded':
      title = 'Forwarded to the upstream';
      break;
    case 'call.outcome':
      title = `Outcome: ${event.outcome} in ${Math.round(event.duration_ms)} ms`;
      tone = event.outcome === 'ok' || event.outcome === 'task' || event.outcome === 'input_required' ? 'ok' : 'denied';
      add('Approved by', event.approver);
      add('Error', event.error);
      add('Asks for', event.input_requests?.join(', '));
      add('Task', event.task_id);
      break;
    case 'call.denied_repeatedly':
      title = `Denied ${event.count === 1 ? 'once more' : `${event.count} more times`} with the same arguments`;
      tone = 'denied';
      add('Rule', event.rule);
      add('Reason', event.reason);
      add('Between', `${event.since} and ${event.until}`);
      break;
  }
  return {
    id: event.id,
    time: new Date(happenedAt(event)).toISOString(),
    type: event.type,
    title,
    tone,
    details,
    // The engine's own events (an approval's, written under its id) belong to no call.
    ...(event.call_id === callId || event.call_id === event.approval_id ? {} : { otherCallId: event.call_id }),
    ...(event.approval_id === undefined ? {} : { approvalId: event.approval_id }),
  };
}

/** The console's address of a call's (or an approval's) story. */
export function storyHref(id: string): string {
  return `/console/calls/${encodeURIComponent(id)}`;
}

const TONE_WORDS: Record<StepTone, string> = { ok: 'done', denied: 'stopped', waiting: 'waiting', info: 'step' };

/** The story page: the call's identity, its arguments, and an ordered list of steps. */
export function renderStory(view: CallStory, chrome: PageChrome): Html {
  if (!view.found)
    return layout(
      chrome,
      html`<h1>Call ${view.callId}</h1>
        <p role="status">No audit events for this call (or approval) id.</p>
        <p><a href="/console/events">Back to recent events</a></p>`,
    );
  const args =
    view.args === undefined
      ? html`<p>No arguments recorded (events written before arguments were kept on the first event).</p>`
      : html`<pre class="args" tabindex="0" aria-label="Arguments (redacted)">
${JSON.stringify(view.args, null, 2)}</pre>
          ${
            view.argsTruncated
              ? html`<p class="note">A preview: the full arguments are ${view.argsBytes ?? '?'} bytes.</p>`
              : ''
          }`;
  return layout(
    chrome,
    html`<h1>${view.waitingCalls === undefined ? 'Call' : 'Approval'} <code>${view.callId}</code></h1>
      <dl class="summary">
        <dt>Grant</dt>
        <dd>${view.grant}</dd>
        ${
          view.waitingCalls === undefined
            ? ''
            : html`<dt>${view.waitingCalls.length === 1 ? 'Call' : 'Calls'}</dt>
                <dd>${view.waitingCalls.map((id) => html`<a href="${storyHref(id)}"><code>${id}</code></a> `)}</dd>`
        }
        ${
          view.session === undefined
            ? ''
            : html`<dt>Session</dt>
                <dd><code>${view.session}</code></dd>`
        }
        <dt>Tool</dt>
        <dd>${view.server}/${view.tool}</dd>
        <dt>Outcome</dt>
        <dd>
          ${
            view.outcome === undefined
              ? 'none yet'
              : `${view.outcome.outcome} in ${Math.round(view.outcome.durationMs)} ms`
          }
        </dd>
        ${
          view.approvalIds.length === 0
            ? ''
            : html`<dt>Approval</dt>
                <dd>${view.approvalIds.map((id) => html`<a href="${storyHref(id)}"><code>${id}</code></a> `)}</dd>`
        }
        <dt>Arguments hash</dt>
        <dd><code>${view.argsSha256}</code></dd>
      </dl>
      <h2>Arguments (redacted)</h2>
      ${args}
      <h2>Timeline</h2>
      <ol class="timeline">
        ${view.steps.map(
          (s) =>
            html`<li class="step step-${s.tone}">
              <p>
                <time datetime="${s.time}">${s.time}</time>
                <span class="visually-hidden">${TONE_WORDS[s.tone]}:</span>
                <strong>${s.title}</strong> <code class="type">${s.type}</code>
              </p>
              ${
                s.details.length === 0
                  ? ''
                  : html`<dl>
                      ${s.details.map(
                        (d) =>
                          html`<dt>${d.label}</dt>
                            <dd>${d.value}</dd>`,
                      )}
                    </dl>`
              }
              ${
                s.otherCallId === undefined
                  ? ''
                  : html`<p class="note">Written under <a href="${storyHref(s.otherCallId)}">${s.otherCallId}</a></p>`
              }
            </li>`,
        )}
      </ol>`,
  );
}

/**
 * The events of one call, and of every approval it waited on, from the audit source. Two passes:
 * the first finds the call's events (and so its approval ids, and when it started), the second the
 * approval's events from then on, which the engine writes under the id of whichever call asked.
 * `callId` may also be an approval id: its trail, across every call attached to it.
 */
export async function loadCallEvents(source: AuditSource, callId: string, sinceMs?: number): Promise<AuditEvent[]> {
  const found: AuditEvent[] = [];
  const approvals = new Set<string>();
  for await (const event of sourceEvents(source, sinceMs)) {
    if (event.call_id !== callId && event.approval_id !== callId) continue;
    found.push(event);
    if (event.approval_id !== undefined) approvals.add(event.approval_id);
  }
  if (approvals.size === 0 || found.length === 0) return found;
  const seen = new Set(found.map((e) => e.id));
  // An approval's story includes the calls that waited on it, from their first event on.
  const calls = new Set(found.filter((e) => e.type === 'approval.requested').map((e) => e.call_id));
  // Clocks of several processes differ a little: look a minute before the first event found (a
  // call's received and decided events come just before its approval.requested).
  const from = Date.parse(found[0]!.time) - 60_000;
  for await (const event of sourceEvents(source, from)) {
    const wanted = (event.approval_id !== undefined && approvals.has(event.approval_id)) || calls.has(event.call_id);
    if (wanted && !seen.has(event.id)) {
      seen.add(event.id);
      found.push(event);
    }
  }
  return found;
}

/** GET /console/calls/:id → the page (404 when no event names the id). */
export async function handleStory(
  source: AuditSource,
  callId: string,
  chrome: Omit<PageChrome, 'title'>,
): Promise<{ status: number; html: Html }> {
  const view = callStory(await loadCallEvents(source, callId), callId);
  const title = `${view.waitingCalls === undefined ? 'Call' : 'Approval'} ${callId}`;
  return { status: view.found ? 200 : 404, html: renderStory(view, { ...chrome, title }) };
}
