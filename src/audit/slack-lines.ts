import { formatClock, retryAfterText, windowText } from '../shared/index.js';
import type { AuditEvent, AuditEventType } from './events.js';

/**
 * What the Slack bot implements to receive the audit channel's lines (mrkdwn, one line each,
 * already redacted and escaped). `post` must not block or throw: queue and retry inside.
 */
export interface AuditLineSink {
  post(text: string): void;
}

/** Slack mrkdwn control characters in free text. */
export function escapeSlack(text: string): string {
  return text.replace(/&/gu, '&amp;').replace(/</gu, '&lt;').replace(/>/gu, '&gt;');
}

/** A Slack user id as a mention, a user-group id as a group mention, anyone else as text. */
export function mention(who: string): string {
  if (/^[UW][A-Z0-9]{2,}$/u.test(who)) return `<@${who}>`;
  if (/^S[A-Z0-9]{2,}$/u.test(who)) return `<!subteam^${who}>`;
  return escapeSlack(who);
}

const SHADOW_VERBS = {
  deny: 'denied',
  require_approval: 'held for approval',
  allow: 'allowed',
  limit: 'rate-limited',
} as const;

/**
 * The compact line for one event, or undefined for events the channel does not show (received,
 * forwarded, allow and require_approval decisions — the request and outcome lines cover them —
 * and re-attaches to a pending approval).
 */
export function slackLine(event: AuditEvent, now: number = Date.now()): string | undefined {
  const who = `${escapeSlack(event.tool)} by ${escapeSlack(event.grant)}`;
  const why = (text: string | undefined) => (text === undefined || text === '' ? '' : `: ${escapeSlack(text)}`);
  switch (event.type) {
    case 'policy.decided':
      return event.action === 'deny'
        ? `🚫 ${who} denied by policy (${escapeSlack(event.rule)})${why(event.reason)}`
        : undefined;
    case 'policy.shadowed':
      return `👻 ${who} would be ${SHADOW_VERBS[event.would]} by a shadow rule (${escapeSlack(event.rule)})${why(event.reason)}`;
    case 'call.denied_repeatedly':
      return `🚫 ${who} denied by policy ${event.count === 1 ? 'once more' : `${event.count} more times`} with the same arguments (${escapeSlack(event.rule)}) since ${formatClock(Date.parse(event.since), now)}`;
    case 'call.rate_limited':
      return `🐢 ${who} rate-limited: ${escapeSlack(event.counter)} allows ${event.max} per ${escapeSlack(event.window)}, retry in ${retryAfterText(event.retry_after_ms)}`;
    case 'call.refused':
      return `🛑 ${who} refused (${escapeSlack(event.reason)})${why(event.error)}`;
    case 'approval.requested':
      if (event.attached === true) return undefined;
      return `⏳ ${who} awaits approval${event.task === true ? ' as a task' : ''} (${escapeSlack(event.rule)}) · ${event.approval_id ?? '?'} · expires ${formatClock(Date.parse(event.expires_at), now)}`;
    case 'approval.decided':
      if (event.decision === 'approved') return `👍 ${who} approved by ${mention(event.approver)}${why(event.reason)}`;
      if (event.decision === 'denied') return `👎 ${who} denied by ${mention(event.approver)}${why(event.reason)}`;
      return `☑️ ${who}: approval by ${mention(event.approver)} counted, more needed`;
    case 'approval.expired':
      return `⌛ ${who} expired without a decision · ${event.approval_id ?? '?'}`;
    case 'approval.withdrawn':
      return `↩️ ${who} withdrawn${event.approver === undefined ? '' : ` by ${mention(event.approver)}`}${why(event.reason)}`;
    case 'call.outcome': {
      const approved = event.approver === undefined ? '' : ` approved by ${mention(event.approver)}`;
      const ms = `${Math.round(event.duration_ms)} ms`;
      switch (event.outcome) {
        case 'ok':
          return `✅ ${who}${approved} · ok in ${ms}`;
        case 'tool_error':
          return `⚠️ ${who}${approved} · tool error in ${ms}${why(event.error)}`;
        case 'failure':
          return `❌ ${who}${approved} · failed after ${ms}${why(event.error)}`;
        case 'unknown':
          return `❓ ${who}${approved} · outcome unknown${why(event.error)}`;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Whether `slackLine` can give a line for an event of this type (and, for decisions, action):
 * lets the AuditLog skip building event objects for the many events the channel never shows.
 */
export function mayHaveSlackLine(type: AuditEventType, action?: unknown): boolean {
  if (type === 'call.received' || type === 'call.forwarded') return false;
  return type !== 'policy.decided' || action === 'deny';
}

type BurstKind =
  | 'denied'
  | 'rate_limited'
  | 'refused'
  | 'ok'
  | 'tool_error'
  | 'failure'
  | 'cancelled'
  | 'unknown'
  | 'input_required'
  | 'task';

const VERBS: Record<BurstKind, string> = {
  denied: 'denied by policy',
  rate_limited: 'rate-limited',
  refused: 'refused',
  ok: 'ran ok',
  tool_error: 'returned a tool error',
  failure: 'failed',
  cancelled: 'was cancelled by the agent',
  unknown: 'ended with an unknown outcome',
  input_required: 'asked the agent for input',
  task: 'started an upstream task',
};

/** Events that repeat in bursts roll up; approval events and outcomes of approved calls never do. */
function burstKind(event: AuditEvent): BurstKind | undefined {
  if (event.type === 'policy.decided') return event.action === 'deny' ? 'denied' : undefined;
  if (event.type === 'call.rate_limited') return 'rate_limited';
  if (event.type === 'call.refused') return 'refused';
  if (event.type === 'call.outcome' && event.approval_id === undefined) return event.outcome;
  return undefined;
}

function burstKey(kind: BurstKind, event: AuditEvent): string {
  return `${kind}\u0000${event.tool}\u0000${event.grant}`;
}

interface Burst {
  kind: BurstKind;
  tool: string;
  grant: string;
  start: number;
  count: number;
  /** A summary was posted for the previous window: this one posts no individual line. */
  hot: boolean;
}

export interface BurstSummarizerOptions {
  windowMs: number;
  post: (text: string) => void;
  now?: () => number;
}

/**
 * Keeps the audit channel readable: the first event of a kind (denied, rate-limited, ok, …) for a
 * tool and grant is posted as its line; more of the same within `windowMs` are only counted, and
 * when the window ends one line sums them up ("copy_model_version rate-limited 57 times for grant
 * ci-agent in the last minute"). While a burst goes on, each window gives one summary line and no
 * individual lines; a quiet window ends it. Approval events always get their own line.
 * Call `tick()` on a timer (or with an injected clock in tests).
 */
export class BurstSummarizer {
  private readonly bursts = new Map<string, Burst>();
  private readonly now: () => number;

  constructor(private readonly options: BurstSummarizerOptions) {
    this.now = options.now ?? Date.now;
  }

  add(event: AuditEvent): void {
    const now = this.now();
    this.tick(now);
    // The audit trail's own roll-up of repeated denials: counted in the open burst of denials
    // (whose summary then says the total), or its own line when that burst has ended.
    if (event.type === 'call.denied_repeatedly') {
      const burst = this.bursts.get(burstKey('denied', event));
      if (burst !== undefined) burst.count += event.count;
      else this.options.post(slackLine(event, now)!);
      return;
    }
    const line = slackLine(event, now);
    if (line === undefined) return;
    const kind = burstKind(event);
    if (kind === undefined) return this.options.post(line);
    const key = burstKey(kind, event);
    const burst = this.bursts.get(key);
    if (burst !== undefined) {
      burst.count++;
      return;
    }
    this.bursts.set(key, { kind, tool: event.tool, grant: event.grant, start: now, count: 1, hot: false });
    this.options.post(line);
  }

  /** Posts the summaries of windows that have ended by `now`. */
  tick(now: number = this.now()): void {
    for (const [key, burst] of this.bursts) {
      if (now - burst.start < this.options.windowMs) continue;
      if (this.summarize(burst)) {
        burst.start = now;
        burst.count = 0;
        burst.hot = true;
      } else {
        this.bursts.delete(key);
      }
    }
  }

  /** Posts every pending summary now (shutdown). */
  flush(): void {
    for (const burst of this.bursts.values()) this.summarize(burst);
    this.bursts.clear();
  }

  private summarize(burst: Burst): boolean {
    if (burst.count < (burst.hot ? 1 : 2)) return false;
    const times = burst.count === 1 ? 'once' : `${burst.count} times`;
    this.options.post(
      `${escapeSlack(burst.tool)} ${VERBS[burst.kind]} ${times} for grant ${escapeSlack(burst.grant)} in the last ${windowText(this.options.windowMs)}`,
    );
    return true;
  }
}
