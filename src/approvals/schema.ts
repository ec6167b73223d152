import { z } from 'zod';
import { summarizeArgs } from './format.js';

/**
 * The approval record as every reader sees it, and how it is rebuilt from its Redis hash.
 * Times are milliseconds since the epoch, taken from the Redis clock (`TIME`) by the scripts.
 */
export const ApprovalStateSchema = z.enum([
  'pending',
  'approved',
  'executing',
  'executed',
  'denied',
  'expired',
  'withdrawn',
]);
export type ApprovalState = z.infer<typeof ApprovalStateSchema>;

/**
 * ok: the upstream answered; error: it answered with isError; failed: it answered with a JSON-RPC
 * error (the stored result is that error); unknown: the executor died mid-call.
 */
export const ExecutionOutcomeSchema = z.enum(['ok', 'error', 'failed', 'unknown']);
export type ExecutionOutcome = z.infer<typeof ExecutionOutcomeSchema>;

export const ApprovalViewSchema = z.object({
  id: z.string(),
  state: ApprovalStateSchema,
  outcome: ExecutionOutcomeSchema.optional(),
  grant: z.string(),
  owner: z.string().optional(),
  server: z.string(),
  tool: z.string(),
  args: z.unknown(),
  /** One line, long values cut: for lists, progress texts and logs. */
  argsSummary: z.string(),
  fingerprint: z.string(),
  /** The policy rule that required approval (JSON pointer, e.g. /tools/copy_model_version). */
  rule: z.string(),
  reason: z.string().optional(),
  approvers: z.array(z.string()),
  minApprovals: z.number().int().min(1),
  allowSelfApproval: z.boolean(),
  /** The timeout as the policy wrote it ("15m"), for messages. */
  timeout: z.string(),
  channel: z.string().optional(),
  /** Distinct approvers so far, in order. */
  approvals: z.array(z.object({ approver: z.string(), at: z.number() })),
  /** Who made the final decision (the last approver, the denier, the withdrawer); absent for expiry. */
  decidedBy: z.string().optional(),
  /** When the approval left `pending` (for expiry: when it expired). */
  decidedAt: z.number().optional(),
  decisionReason: z.string().optional(),
  createdAt: z.number(),
  expiresAt: z.number(),
  executor: z.string().optional(),
  executionStartedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  /** The stored upstream result (CallToolResult JSON) once executed; `{error}` for unknown. */
  result: z.unknown().optional(),
  /** A denial/expiry/withdrawal was delivered to a caller and the fingerprint freed. */
  collected: z.boolean(),
  /** Bumped by every transition; waitForChange(id, version) waits for a larger one. */
  version: z.number().int().min(1),
  /**
   * An agent waits for it as an MCP task (the tasks extension): once approved, an Airlock
   * process runs it without a waiting request (the approval's job), and its task id is its id.
   */
  task: z.boolean(),
  /** The audit call id of the call that opened it (its execution is audited under the same id). */
  callId: z.string().optional(),
});
export type ApprovalView = z.infer<typeof ApprovalViewSchema>;

/** The event published on every transition (and the cross-process `change` event). */
export const ApprovalChangeSchema = z.object({ id: z.string(), version: z.number().int(), state: ApprovalStateSchema });
export type ApprovalChange = z.infer<typeof ApprovalChangeSchema>;

/** The immutable fields written at creation, as hash field/value pairs (strings). */
export interface StoredRequest {
  id: string;
  grant: string;
  owner?: string;
  server: string;
  tool: string;
  args: unknown;
  fingerprint: string;
  rule: string;
  reason?: string;
  approvers: readonly string[];
  minApprovals: number;
  allowSelfApproval: boolean;
  timeout: string;
  channel?: string;
  reservation?: unknown;
  task?: boolean;
  callId?: string;
}

export function requestFields(request: StoredRequest): string[] {
  const fields: [string, string | undefined][] = [
    ['id', request.id],
    ['grant', request.grant],
    ['owner', request.owner],
    ['server', request.server],
    ['tool', request.tool],
    ['args', JSON.stringify(request.args ?? {})],
    ['fingerprint', request.fingerprint],
    ['rule', request.rule],
    ['reason', request.reason],
    ['approvers', JSON.stringify(request.approvers)],
    ['minApprovals', String(request.minApprovals)],
    ['allowSelfApproval', request.allowSelfApproval ? '1' : '0'],
    ['timeout', request.timeout],
    ['channel', request.channel],
    ['reservation', request.reservation === undefined ? undefined : JSON.stringify(request.reservation)],
    ['task', request.task === true ? '1' : undefined],
    ['callId', request.callId],
  ];
  return fields.flatMap(([k, v]) => (v === undefined ? [] : [k, v]));
}

/** A flat HGETALL reply ([k1, v1, k2, v2, …]) as an object. */
export function hashFromReply(reply: unknown): Record<string, string> {
  const flat = Array.isArray(reply) ? (reply as unknown[]) : [];
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) hash[String(flat[i])] = String(flat[i + 1]);
  return hash;
}

export function viewFromHash(hash: Record<string, string>): ApprovalView {
  const num = (k: string) => (hash[k] === undefined ? undefined : Number(hash[k]));
  const json = (k: string) => (hash[k] === undefined ? undefined : (JSON.parse(hash[k]) as unknown));
  const approvals: { approver: string; at: number }[] = [];
  for (let i = 1; i <= (num('approvalCount') ?? 0); i++) {
    approvals.push({ approver: hash[`approver:${i}`] ?? '', at: num(`approvedAt:${i}`) ?? 0 });
  }
  const args = json('args') ?? {};
  const view = {
    id: hash.id,
    state: hash.state,
    outcome: hash.outcome,
    grant: hash.grant,
    owner: hash.owner,
    server: hash.server,
    tool: hash.tool,
    args,
    argsSummary: summarizeArgs(args),
    fingerprint: hash.fingerprint,
    rule: hash.rule,
    reason: hash.reason,
    approvers: json('approvers'),
    minApprovals: num('minApprovals'),
    allowSelfApproval: hash.allowSelfApproval === '1',
    timeout: hash.timeout,
    channel: hash.channel,
    approvals,
    decidedBy: hash.decidedBy,
    decidedAt: num('decidedAt'),
    decisionReason: hash.decisionReason,
    createdAt: num('createdAt'),
    expiresAt: num('expiresAt'),
    executor: hash.executor,
    executionStartedAt: num('executionStartedAt'),
    finishedAt: num('finishedAt'),
    result: json('result'),
    collected: hash.collected === '1',
    version: num('version'),
    task: hash.task === '1',
    callId: hash.callId,
  };
  const parsed = ApprovalViewSchema.safeParse(view);
  if (!parsed.success)
    throw new Error(`approval ${hash.id ?? '(no id)'} in Redis is malformed: ${parsed.error.message}`);
  return stripUndefined(parsed.data);
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
