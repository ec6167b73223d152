import { argsSha256, sha256Hex } from './digest.js';
import { newAuditId, type AuditDetails, type AuditEventType } from './events.js';
import type { Redactor } from './redact.js';

/** Who called what: fixed for the life of a call. `args` are the full arguments (redacted here). */
export interface CallInput {
  grant: string;
  session?: string;
  server: string;
  /** The tool as the policy names it (the upstream's own name). */
  tool: string;
  args: unknown;
  /** Default: a new sortable id (`call_…`). */
  call_id?: string;
  approval_id?: string;
}

/** What `emit` takes: the type's own fields; `call.outcome`'s `duration_ms` is measured when omitted. */
export type EmitDetails<T extends AuditEventType> = T extends 'call.outcome'
  ? Omit<AuditDetails<T>, 'duration_ms'> & { duration_ms?: number }
  : AuditDetails<T>;

/** The AuditLog side of a trail: writes one event's JSON to every sink. */
export interface TrailSink {
  now(): number;
  record(json: string, type: AuditEventType, fields: Readonly<Record<string, unknown>> | undefined): Promise<void>;
}

/**
 * The events of one call. Redaction and the arguments' hash are done once, when the trail is
 * made; each `emit` adds an id, the time and the type's fields to the same pre-serialized body.
 */
export class CallTrail {
  readonly callId: string;
  /** SHA-256 of the canonical JSON of the full arguments. */
  readonly argsSha256: string;
  /** The redacted arguments, as every sink gets them. */
  readonly args: unknown;
  private approval: string | undefined;
  private readonly startedAt: number;
  private forwardedAt: number | undefined;
  private readonly identity: string;
  private readonly argsJson: string;

  constructor(
    private readonly sink: TrailSink,
    input: CallInput,
    redact: Redactor,
  ) {
    this.startedAt = sink.now();
    this.callId = input.call_id ?? `call_${newAuditId(this.startedAt)}`;
    this.approval = input.approval_id;
    this.args = redact(input.args ?? {});
    const argsText = JSON.stringify(this.args);
    let digest: string;
    try {
      digest = argsSha256(input.args);
    } catch {
      // Too deep or cyclic to serialize whole: hash what the sinks get instead.
      digest = sha256Hex(argsText);
    }
    this.argsSha256 = digest;
    const session = input.session === undefined ? '' : `,"session":${JSON.stringify(input.session)}`;
    this.identity = `"call_id":${JSON.stringify(this.callId)},"grant":${JSON.stringify(input.grant)}${session},"server":${JSON.stringify(input.server)},"tool":${JSON.stringify(input.tool)}`;
    this.argsJson = `"args_sha256":"${digest}","args":${argsText}`;
  }

  get approvalId(): string | undefined {
    return this.approval;
  }

  /** Later events of this call carry `approval_id` (once an approval was requested or attached to). */
  setApproval(id: string): void {
    this.approval = id;
  }

  /**
   * Records one event. The promise resolves when it is in the audit file; with fail_mode
   * "closed" it rejects with AuditUnavailableError when the file cannot be written. Await it
   * where the call must not go on unrecorded (the decision, before forwarding); elsewhere it may
   * be ignored (it never rejects unhandled).
   */
  emit<T extends AuditEventType>(type: T, ...details: {} extends EmitDetails<T> ? [EmitDetails<T>?] : [EmitDetails<T>]): Promise<void> {
    const now = this.sink.now();
    let fields = details[0] as Record<string, unknown> | undefined;
    if (type === 'call.forwarded') this.forwardedAt = now;
    if (type === 'call.outcome' && fields?.duration_ms === undefined) {
      fields = { ...fields, duration_ms: now - (this.forwardedAt ?? this.startedAt) };
    }
    const own = fields === undefined ? '{}' : JSON.stringify(fields);
    const approval = this.approval === undefined ? '' : `,"approval_id":${JSON.stringify(this.approval)}`;
    const json =
      `{"v":1,"id":"${newAuditId(now)}","time":"${isoTime(now)}","type":"${type}",${this.identity}${approval}` +
      `${own.length > 2 ? `,${own.slice(1, -1)}` : ''},${this.argsJson}}`;
    return this.sink.record(json, type, fields);
  }
}

let lastIsoMs = Number.NaN;
let lastIso = '';

/** Events of one batch share their millisecond: format it once. */
function isoTime(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIsoMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
