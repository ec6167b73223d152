import type { AuditEvent } from '../audit/index.js';
import { LimitSimulator } from '../limits/index.js';
import { evaluate, type CompiledPolicy } from '../policy/index.js';

/** What happened to a call, as the trail recorded it or as the candidate would decide it. */
export type ReplayOutcome = 'allow' | 'deny' | 'require_approval' | 'rate_limited';

/** One past tool call, from its audit events. */
interface RecordedCall {
  callId: string;
  atMs: number;
  grant: string;
  session: string;
  server: string;
  tool: string;
  args: Record<string, unknown>;
  /** Its arguments are a preview (large) or have redacted keys: conditions saw what the trail kept. */
  partial: boolean;
  recorded?: ReplayOutcome;
  /** Airlock refused it (Redis or the audit down): no decision to compare. */
  refused: boolean;
}

/** Calls whose outcome changes the same way, for one tool and grant. */
export interface ReplayChange {
  server: string;
  tool: string;
  grant: string;
  recorded: ReplayOutcome;
  candidate: ReplayOutcome;
  /** The candidate's deciding rule, or for `rate_limited` the limit: "counter 30/minute per grant". */
  by: string[];
  count: number;
  /** Up to three call ids, oldest first. */
  examples: string[];
}

export interface ReplayReport {
  /** Tool calls in the trail (after the grant and time filters). */
  calls: number;
  /** Those with a recorded decision to compare. */
  compared: number;
  unchanged: number;
  /** Calls with previewed or redacted arguments (conditions were checked on what the trail kept). */
  partial: number;
  from?: string;
  to?: string;
  changes: ReplayChange[];
}

export interface ReplayOptions {
  grant?: string;
  sinceMs?: number;
}

const MAX_EXAMPLES = 3;

/**
 * Runs a candidate policy over the past tool calls of an audit trail: for each call, what the
 * candidate decides on its arguments (as the trail kept them), and, for what it would let
 * through, whether its rate limits would have admitted it at that moment (LimitSimulator: the
 * live limiter's rule, fed the calls in order). Calls no upstream. Prompts and resources are left
 * out (no limits, no approvals).
 */
export async function replay(
  events: AsyncIterable<AuditEvent>,
  candidate: CompiledPolicy,
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const calls = await collectCalls(events, options);
  const simulator = new LimitSimulator();
  const changes = new Map<string, ReplayChange>();
  let compared = 0;
  for (const call of calls) {
    const { outcome, by } = decideCandidate(candidate, simulator, call);
    if (call.recorded === undefined || call.refused) continue;
    compared++;
    if (outcome === call.recorded) continue;
    const key = JSON.stringify([call.server, call.tool, call.grant, call.recorded, outcome]);
    const change = changes.get(key) ?? {
      server: call.server,
      tool: call.tool,
      grant: call.grant,
      recorded: call.recorded,
      candidate: outcome,
      by: [],
      count: 0,
      examples: [],
    };
    change.count++;
    if (!change.by.includes(by)) change.by.push(by);
    if (change.examples.length < MAX_EXAMPLES) change.examples.push(call.callId);
    changes.set(key, change);
  }
  const changed = [...changes.values()].reduce((n, c) => n + c.count, 0);
  return {
    calls: calls.length,
    compared,
    unchanged: compared - changed,
    partial: calls.filter((c) => c.partial).length,
    ...(calls.length > 0 ? { from: iso(calls[0]!.atMs), to: iso(calls.at(-1)!.atMs) } : {}),
    changes: [...changes.values()].sort((a, b) => b.count - a.count || a.tool.localeCompare(b.tool)),
  };
}

/** What the candidate does with the call; every call it would let through counts on its limits. */
function decideCandidate(
  policy: CompiledPolicy,
  simulator: LimitSimulator,
  call: RecordedCall,
): { outcome: ReplayOutcome; by: string } {
  const decision = evaluate(policy, { server: call.server, tool: call.tool, args: call.args });
  if (decision.action === 'deny') return { outcome: 'deny', by: decision.rule };
  const reserved = simulator.reserve(decision.limits, { grant: call.grant, session: call.session }, call.atMs);
  if (!reserved.ok) {
    const l = reserved.limited;
    return { outcome: 'rate_limited', by: `${l.counter} ${l.max}/${l.window} per ${l.scope}` };
  }
  return { outcome: decision.action, by: decision.rule };
}

/** The trail's tool calls, oldest first, each with its recorded decision. */
async function collectCalls(events: AsyncIterable<AuditEvent>, options: ReplayOptions): Promise<RecordedCall[]> {
  const calls = new Map<string, RecordedCall>();
  for await (const event of events) {
    if (event.tool.startsWith('prompt:') || event.tool.startsWith('resource:')) continue;
    if (options.grant !== undefined && event.grant !== options.grant) continue;
    let call = calls.get(event.call_id);
    if (call === undefined && event.type === 'call.received') {
      const atMs = Date.parse(event.time);
      if (options.sinceMs !== undefined && atMs < options.sinceMs) continue;
      const args = (event.args ?? {}) as Record<string, unknown>;
      call = {
        callId: event.call_id,
        atMs,
        grant: event.grant,
        session: event.session ?? '',
        server: event.server,
        tool: event.tool,
        args,
        partial: event.args_truncated === true || JSON.stringify(args).includes('"[redacted]"'),
        refused: false,
      };
      calls.set(event.call_id, call);
    }
    if (call === undefined) continue;
    if (event.type === 'policy.decided') call.recorded ??= event.action;
    else if (event.type === 'call.rate_limited') call.recorded = 'rate_limited';
    else if (event.type === 'call.refused') call.refused = true;
  }
  return [...calls.values()].sort((a, b) => a.atMs - b.atMs || a.callId.localeCompare(b.callId));
}

const iso = (ms: number) => new Date(ms).toISOString();
