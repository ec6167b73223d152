import { parseDuration } from '../shared/index.js';
import {
  AUDIT_DECISIONS,
  AUDIT_EVENT_TYPES,
  decisionOf,
  type AuditDecision,
  type AuditEvent,
  type AuditEventType,
} from './events.js';

/** Filters of `airlock audit query`; every one given must match. */
export interface AuditQuery {
  grant?: string;
  tool?: string;
  /** Epoch ms: events at or after it. */
  sinceMs?: number;
  decision?: AuditDecision;
  types?: readonly AuditEventType[];
  callId?: string;
  approvalId?: string;
}

export function matchesQuery(event: AuditEvent, query: AuditQuery): boolean {
  if (query.grant !== undefined && event.grant !== query.grant) return false;
  if (query.tool !== undefined && event.tool !== query.tool) return false;
  if (query.sinceMs !== undefined && Date.parse(event.time) < query.sinceMs) return false;
  if (query.decision !== undefined && decisionOf(event) !== query.decision) return false;
  if (query.types !== undefined && !query.types.includes(event.type)) return false;
  if (query.callId !== undefined && event.call_id !== query.callId) return false;
  if (query.approvalId !== undefined && event.approval_id !== query.approvalId) return false;
  return true;
}

/** "1h", "15m", "2d" (back from `now`) or an ISO date/time; undefined when it is neither. */
export function parseSince(text: string, now: number): number | undefined {
  const span = parseDuration(text);
  if (span !== undefined && !/^\d+$/u.test(text.trim())) return now - span;
  const at = /^\d{4}-\d{2}-\d{2}/u.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? undefined : at;
}

export function parseDecision(text: string): AuditDecision | undefined {
  return (AUDIT_DECISIONS as readonly string[]).includes(text) ? (text as AuditDecision) : undefined;
}

/** "call.received,policy.decided" → the types, or the first unknown name. */
export function parseTypes(text: string): { types: AuditEventType[] } | { unknown: string } {
  const types: AuditEventType[] = [];
  for (const name of text
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '')) {
    if (!(AUDIT_EVENT_TYPES as readonly string[]).includes(name)) return { unknown: name };
    types.push(name as AuditEventType);
  }
  return { types };
}

/**
 * One line per event for people:
 * `2026-08-01T12:00:00.123Z  policy.decided      ci-agent  mlflow/copy_model_version  deny /tools/x: why  call_…`
 */
export function formatEvent(event: AuditEvent): string {
  const what = describeEvent(event);
  const ids =
    event.approval_id !== undefined && event.approval_id !== event.call_id
      ? `${event.call_id} ${event.approval_id}`
      : event.call_id;
  return `${event.time}  ${event.type.padEnd(18)}  ${event.grant}  ${event.server}/${event.tool}${what === '' ? '' : `  ${what}`}  ${ids}`;
}

/** The call's arguments where the event carries them (its first), saying when they are a preview. */
function argsText(event: AuditEvent): string {
  if (event.args === undefined) return '';
  const preview = event.args_truncated === true ? ` (preview; ${event.args_bytes ?? '?'} bytes in full)` : '';
  return `args ${JSON.stringify(event.args)}${preview}`;
}

/** What an event says beyond its identity (the middle of formatEvent's line): "deny /tools/x: why". */
export function describeEvent(event: AuditEvent): string {
  const reason = (text: string | undefined) => (text === undefined || text === '' ? '' : `: ${text}`);
  switch (event.type) {
    case 'call.received':
      return argsText(event);
    case 'policy.decided':
      return `${event.action} ${event.rule}${reason(event.reason)}`;
    case 'policy.shadowed':
      return `would ${event.would === 'limit' ? `rate-limit (${event.counter} ${event.max}/${event.window})` : event.would} ${event.rule}${reason(event.reason)}`;
    case 'call.denied_repeatedly':
      return `deny ${event.rule}${reason(event.reason)} · ${event.count === 1 ? 'once more' : `${event.count} more times`} with the same arguments, ${event.since} – ${event.until}`;
    case 'call.rate_limited':
      return `${event.counter} ${event.max}/${event.window}, retry after ${event.retry_after_ms} ms`;
    case 'call.refused':
      return `${event.reason}${reason(event.error)}`;
    case 'approval.requested':
      return `${event.attached === true ? 'attached to pending approval' : 'approval requested'} (${event.rule}), expires ${event.expires_at}`;
    case 'approval.decided':
      return `${event.decision} by ${event.approver} at ${event.decided_at}${reason(event.reason)}`;
    case 'approval.expired':
      return 'expired without a decision';
    case 'approval.withdrawn':
      return `withdrawn${event.approver === undefined ? '' : ` by ${event.approver}`}${reason(event.reason)}`;
    case 'call.forwarded':
      return '';
    case 'call.outcome':
      return `${event.outcome} in ${Math.round(event.duration_ms)} ms${event.approver === undefined ? '' : ` (approved by ${event.approver})`}${reason(event.error)}`;
  }
}
