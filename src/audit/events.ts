import { getRandomValues } from 'node:crypto';
import { decodeTime, monotonicFactory } from 'ulid';
import { z } from 'zod';

/**
 * One audit event: what happened to one call (or one approval), when, and why. Every event
 * carries the call's identity and the SHA-256 of the full canonical arguments; the call's first
 * event also carries the redacted arguments (whole, or a preview when large: `args_truncated`)
 * and their size, so one join on `call_id` (or `args_sha256`) answers "who called what with which
 * arguments" without a multi-megabyte argument being written once per event. Events written
 * before that carry `args` on every event; readers take both.
 */
export const AUDIT_EVENT_TYPES = [
  'call.received',
  'policy.decided',
  'policy.shadowed',
  'call.rate_limited',
  'call.refused',
  'approval.requested',
  'approval.decided',
  'approval.expired',
  'approval.withdrawn',
  'call.forwarded',
  'call.outcome',
  'call.denied_repeatedly',
] as const;
export const AuditEventTypeSchema = z.enum(AUDIT_EVENT_TYPES);
export type AuditEventType = z.infer<typeof AuditEventTypeSchema>;

const iso = z.iso.datetime({ offset: false });

/** The fields specific to each event type. */
export const AuditDetailsSchemas = {
  'call.received': z.object({
    /** A retry answering an input round (MCP 2026-07-28 input_required): the call it continues. */
    continues: z.string().optional(),
    /** The keys of the answers it carries. */
    answers: z.array(z.string()).optional(),
  }),
  'policy.decided': z.object({
    /** The matched rule (JSON pointer, e.g. /tools/copy_model_version) or "(default)". */
    rule: z.string(),
    action: z.enum(['allow', 'deny', 'require_approval']),
    reason: z.string().optional(),
    /** The tool's risk class (src/risk): absent for prompts and resources, and in older events. */
    risk: z
      .object({
        category: z.enum(['read', 'write', 'destructive']),
        level: z.enum(['low', 'medium', 'high']),
        open_world: z.boolean(),
      })
      .optional(),
  }),
  /** What the policy's shadow parts (`mode: "shadow"`) would have done instead; the call was not affected. */
  'policy.shadowed': z.object({
    would: z.enum(['deny', 'require_approval', 'allow', 'limit']),
    /** The deciding rule of the shadow view (for `limit`, the limit's rule). */
    rule: z.string(),
    reason: z.string().optional(),
    counter: z.string().optional(),
    max: z.number().optional(),
    window: z.string().optional(),
    retry_after_ms: z.number().optional(),
  }),
  'call.rate_limited': z.object({
    rule: z.string().optional(),
    counter: z.string(),
    max: z.number(),
    window: z.string(),
    retry_after_ms: z.number(),
  }),
  /** Airlock refused the call because something it needs is down (Redis, the audit file, …). */
  'call.refused': z.object({
    /** A code such as "limits_unavailable", "audit_unavailable", "max_pending". */
    reason: z.string(),
    error: z.string().optional(),
  }),
  'approval.requested': z.object({
    rule: z.string(),
    reason: z.string().optional(),
    expires_at: iso,
    approvers: z.array(z.string()).optional(),
    /** true: the call re-attached to an approval already pending for the same fingerprint. */
    attached: z.boolean().optional(),
    /** true: the agent waits for it as an MCP task (tasks/get), not with its request open. */
    task: z.boolean().optional(),
  }),
  'approval.decided': z.object({
    /** approval_counted: one of several required approvals (min_approvals > 1). */
    decision: z.enum(['approved', 'denied', 'approval_counted']),
    approver: z.string(),
    decided_at: iso,
    reason: z.string().optional(),
  }),
  'approval.expired': z.object({ decided_at: iso.optional() }),
  'approval.withdrawn': z.object({
    approver: z.string().optional(),
    decided_at: iso.optional(),
    reason: z.string().optional(),
  }),
  'call.forwarded': z.object({}),
  'call.outcome': z.object({
    /** ok: a result; tool_error: a result with isError; failure: no result (transport, timeout); unknown: the executor died. */
    /** input_required: the upstream asked the agent for input (`input_requests`: what, by method); the agent's retry continues the call. */
    /** task: the upstream answered with a task (MCP tasks extension, `task_id`); the agent polls it through Airlock. */
    outcome: z.enum(['ok', 'tool_error', 'failure', 'cancelled', 'unknown', 'input_required', 'task']),
    input_requests: z.array(z.string()).optional(),
    task_id: z.string().optional(),
    /** The upstream's time (from call.forwarded), or the whole call's when it was never forwarded. */
    duration_ms: z.number(),
    error: z.string().optional(),
    /** Who approved, for calls that ran after an approval. */
    approver: z.string().optional(),
  }),
  /**
   * The same denial (grant, server, tool, args_sha256, rule) repeated within
   * `audit.denial_rollup_window` after the one written in full (`first_call_id`, also this event's
   * `call_id`): the repeats are counted here instead of written.
   */
  'call.denied_repeatedly': z.object({
    rule: z.string(),
    reason: z.string().optional(),
    /** Repeats (the first denial, written in full, not included). */
    count: z.number().int().min(1),
    first_call_id: z.string(),
    /** The first and the last repeat. */
    since: iso,
    until: iso,
  }),
} satisfies Record<AuditEventType, z.ZodObject>;

/**
 * The fields every event has. `args_sha256` covers the full arguments; `args` (redacted, whole or
 * a preview), `args_bytes` and `args_truncated` are on the call's first event only (on every event
 * in files written before that change).
 */
const AuditEventBaseSchema = z.object({
  v: z.literal(1),
  /** Sortable and unique across processes (time-prefixed, ULID alphabet). */
  id: z.string(),
  /** ISO 8601 UTC with milliseconds. */
  time: iso,
  call_id: z.string(),
  grant: z.string(),
  session: z.string().optional(),
  server: z.string(),
  /** The tool as the policy names it (the upstream's own name). */
  tool: z.string(),
  approval_id: z.string().optional(),
  args_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The redacted arguments: whole, or (with `args_truncated`) a preview of at most `audit.args_preview_bytes` of JSON. */
  args: z.unknown().optional(),
  /** Bytes of the canonical JSON of the full arguments (what `args_sha256` hashes). */
  args_bytes: z.number().int().min(0).optional(),
  /** Present (true) when `args` is a preview: long strings, arrays, objects and nesting cut, with markers. */
  args_truncated: z.literal(true).optional(),
});

const base = AuditEventBaseSchema;
const details = AuditDetailsSchemas;

export const AuditEventSchema = z.discriminatedUnion('type', [
  base.extend({ type: z.literal('call.received') }).extend(details['call.received'].shape),
  base.extend({ type: z.literal('policy.decided') }).extend(details['policy.decided'].shape),
  base.extend({ type: z.literal('policy.shadowed') }).extend(details['policy.shadowed'].shape),
  base.extend({ type: z.literal('call.rate_limited') }).extend(details['call.rate_limited'].shape),
  base.extend({ type: z.literal('call.refused') }).extend(details['call.refused'].shape),
  base.extend({ type: z.literal('approval.requested') }).extend(details['approval.requested'].shape),
  base.extend({ type: z.literal('approval.decided') }).extend(details['approval.decided'].shape),
  base.extend({ type: z.literal('approval.expired') }).extend(details['approval.expired'].shape),
  base.extend({ type: z.literal('approval.withdrawn') }).extend(details['approval.withdrawn'].shape),
  base.extend({ type: z.literal('call.forwarded') }).extend(details['call.forwarded'].shape),
  base.extend({ type: z.literal('call.outcome') }).extend(details['call.outcome'].shape),
  base.extend({ type: z.literal('call.denied_repeatedly') }).extend(details['call.denied_repeatedly'].shape),
]);

export type AuditEvent = z.infer<typeof AuditEventSchema>;
export type AuditEventOf<T extends AuditEventType> = Extract<AuditEvent, { type: T }>;
export type AuditEventBase = z.infer<typeof AuditEventBaseSchema>;
export type AuditDetails<T extends AuditEventType> = z.infer<(typeof AuditDetailsSchemas)[T]>;

/**
 * The one-word decision an event stands for (`audit query --decision`): the policy action, the
 * human decision, or what happened instead; undefined for events that decide nothing.
 */
export type AuditDecision =
  | 'allow'
  | 'deny'
  | 'require_approval'
  | 'approved'
  | 'denied'
  | 'expired'
  | 'withdrawn'
  | 'rate_limited'
  | 'refused'
  | 'would_deny'
  | 'would_limit'
  | 'would_require_approval'
  | 'would_allow';
export const AUDIT_DECISIONS: readonly AuditDecision[] = [
  'allow',
  'deny',
  'require_approval',
  'approved',
  'denied',
  'expired',
  'withdrawn',
  'rate_limited',
  'refused',
  'would_deny',
  'would_limit',
  'would_require_approval',
  'would_allow',
];

export function decisionOf(event: AuditEvent): AuditDecision | undefined {
  switch (event.type) {
    case 'policy.decided':
      return event.action;
    case 'call.denied_repeatedly':
      return 'deny';
    case 'policy.shadowed':
      return `would_${event.would}`;
    case 'approval.decided':
      return event.decision === 'approval_counted' ? undefined : event.decision;
    case 'approval.expired':
      return 'expired';
    case 'approval.withdrawn':
      return 'withdrawn';
    case 'call.rate_limited':
      return 'rate_limited';
    case 'call.refused':
      return 'refused';
    default:
      return undefined;
  }
}

// ULIDs (Crockford base32, time first) sort as strings in time order. One factory per process:
// within one millisecond, or when the clock stalls or steps back, it increments the random part
// of the last id, so ids from one process are strictly increasing. (It reads a time of 0, as
// test clocks give, as "no time given" and uses Date.now().)
const nextUlid = monotonicFactory(pooledRandom());

/**
 * The same randomness as ulid's own PRNG (crypto bytes, each / 256), drawn 4 KiB at a time: ulid's
 * asks the OS once per character, 16 times per id and five ids per call (a tenth of a gateway's
 * CPU per call under load).
 */
function pooledRandom(): () => number {
  const pool = new Uint8Array(4096);
  let next = pool.length;
  return () => {
    if (next === pool.length) {
      getRandomValues(pool);
      next = 0;
    }
    return pool[next++]! / 256;
  };
}

/** A 26-character ULID: 10 characters of milliseconds, 16 of randomness (80 bits). */
export function newAuditId(now: number): string {
  return nextUlid(now);
}

/** The time encoded in an id from newAuditId (ms since the epoch). */
export function timeOfAuditId(id: string): number {
  return decodeTime(id);
}
