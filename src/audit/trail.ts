import { cutString, previewArgs } from './args-preview.js';
import type { Denial } from './denial-rollup.js';
import { canonicalJson } from '../shared/index.js';
import { sha256Hex } from './digest.js';
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

/** The events a trail emits (the roll-up summary is the AuditLog's own). */
export type TrailEventType = Exclude<AuditEventType, 'call.denied_repeatedly'>;

/** What `emit` takes: the type's own fields; `call.outcome`'s `duration_ms` is measured when omitted. */
export type EmitDetails<T extends TrailEventType> = T extends 'call.outcome'
  ? Omit<AuditDetails<T>, 'duration_ms'> & { duration_ms?: number }
  : AuditDetails<T>;

/** The AuditLog side of a trail: writes one event's JSON to every sink. */
export interface TrailSink {
  now(): number;
  record(json: string, type: AuditEventType, fields: Readonly<Record<string, unknown>> | undefined): Promise<void>;
  /** True when this denial repeats one written within the roll-up window: it is counted, not written. */
  rollUpDenial?(denial: Denial): boolean;
  /** This call's arguments are in this process's trail: approval events need not repeat them. */
  approvalSeen?(approvalId: string): void;
  /** Told of every event emitted, repeated denials the roll-up only counts included (metrics). */
  observe?(event: ObservedEvent): void;
}

/** An event as emitted, for observers (metrics): who, what, and its own fields. */
export interface ObservedEvent {
  type: TrailEventType;
  grant: string;
  server: string;
  tool: string;
  fields: Readonly<Record<string, unknown>> | undefined;
}

export interface TrailOptions {
  /** Most bytes of JSON for the arguments (README.md "Arguments"). Default 4096. */
  previewBytes?: number;
  /** False: no event of this trail carries the arguments (they are in this process's trail already). */
  withArgs?: boolean;
}

/** Free text from outside (error messages, reasons) is cut to this many characters. */
export const MAX_TEXT_CHARS = 1_024;

interface Held {
  fields: Record<string, unknown> | undefined;
  settle: (written: Promise<void>) => void;
}

/**
 * The events of one call. The arguments are hashed once, when the trail is made; redacted and cut
 * to a preview once, for the first event written, which alone carries them (the others carry the
 * hash). A first `call.received` is held until the call's next event or the next turn of the event
 * loop, so that a denial repeating one the roll-up already counts writes nothing at all.
 */
export class CallTrail {
  readonly callId: string;
  /** SHA-256 of the canonical JSON of the full arguments. */
  readonly argsSha256: string;
  /** Bytes of that canonical JSON. */
  readonly argsBytes: number;
  private approval: string | undefined;
  private readonly startedAt: number;
  private forwardedAt: number | undefined;
  private readonly identity: string;
  private readonly input: CallInput;
  private redacted: { value: unknown } | undefined;
  /** Whether the arguments still have to go into the next event written. */
  private argsPending: boolean;
  private written = false;
  private held: Held | undefined;

  constructor(
    private readonly sink: TrailSink,
    input: CallInput,
    private readonly redact: Redactor,
    private readonly options: TrailOptions = {},
  ) {
    this.startedAt = sink.now();
    this.input = input;
    this.callId = input.call_id ?? `call_${newAuditId(this.startedAt)}`;
    this.approval = input.approval_id;
    this.argsPending = options.withArgs ?? true;
    let canonical: string;
    try {
      canonical = canonicalJson(input.args ?? {}); // what argsSha256() hashes
    } catch {
      // Cyclic (or otherwise not JSON): hash what the sinks get instead.
      canonical = JSON.stringify(this.redactedArgs) ?? 'null';
    }
    this.argsSha256 = sha256Hex(canonical);
    this.argsBytes = Buffer.byteLength(canonical);
    const session = input.session === undefined ? '' : `,"session":${JSON.stringify(input.session)}`;
    this.identity = `"call_id":${JSON.stringify(this.callId)},"grant":${JSON.stringify(input.grant)}${session},"server":${JSON.stringify(input.server)},"tool":${JSON.stringify(input.tool)}`;
  }

  /** The redacted arguments (whole; what the preview is cut from). */
  get args(): unknown {
    return this.redactedArgs;
  }

  get approvalId(): string | undefined {
    return this.approval;
  }

  /** Later events of this call carry `approval_id` (once an approval was requested or attached to). */
  setApproval(id: string): void {
    this.approval = id;
    if (this.written || this.held !== undefined) this.sink.approvalSeen?.(id);
  }

  /**
   * Records one event. The promise resolves when it is in the audit file; with fail_mode
   * "closed" it rejects with AuditUnavailableError when the file cannot be written. Await it
   * where the call must not go on unrecorded (the decision, before forwarding); elsewhere it may
   * be ignored (it never rejects unhandled). A repeated denial the roll-up counts resolves at once.
   */
  emit<T extends TrailEventType>(
    type: T,
    ...details: Record<never, never> extends EmitDetails<T> ? [EmitDetails<T>?] : [EmitDetails<T>]
  ): Promise<void> {
    const fields = details[0] as Record<string, unknown> | undefined;
    if (this.sink.observe !== undefined) {
      const { grant, server, tool } = this.input;
      this.sink.observe({ type, grant, server, tool, fields });
    }
    if (type === 'call.received' && !this.written && this.held === undefined) return this.hold(fields);
    if (type === 'policy.decided' && fields?.action === 'deny' && !this.written && this.isRepeatedDenial(fields)) {
      this.held?.settle(Promise.resolve());
      this.held = undefined;
      return Promise.resolve();
    }
    this.release();
    return this.write(type, fields);
  }

  private hold(fields: Record<string, unknown> | undefined): Promise<void> {
    let settle!: (written: Promise<void>) => void;
    const promise = new Promise<void>((resolve) => (settle = resolve));
    promise.catch(() => {});
    this.held = { fields, settle };
    // Written with the call's next event, or in the next turn when none comes in this one.
    setImmediate(() => this.release());
    return promise;
  }

  private release(): void {
    const held = this.held;
    if (held === undefined) return;
    this.held = undefined;
    held.settle(this.write('call.received', held.fields));
  }

  private isRepeatedDenial(fields: Record<string, unknown>): boolean {
    if (this.sink.rollUpDenial === undefined) return false;
    const { grant, server, tool } = this.input;
    const reason = typeof fields.reason === 'string' ? fields.reason : undefined;
    return this.sink.rollUpDenial({
      grant,
      server,
      tool,
      args_sha256: this.argsSha256,
      rule: String(fields.rule),
      call_id: this.callId,
      reason,
    });
  }

  private write(type: AuditEventType, details: Record<string, unknown> | undefined): Promise<void> {
    const now = this.sink.now();
    let fields = details;
    if (type === 'call.forwarded') this.forwardedAt = now;
    if (type === 'call.outcome' && fields?.duration_ms === undefined) {
      fields = { ...fields, duration_ms: now - (this.forwardedAt ?? this.startedAt) };
    }
    fields = boundedText(fields);
    const own = fields === undefined ? '{}' : JSON.stringify(fields);
    const approval = this.approval === undefined ? '' : `,"approval_id":${JSON.stringify(this.approval)}`;
    const json =
      `{"v":1,"id":"${newAuditId(now)}","time":"${isoTime(now)}","type":"${type}",${this.identity}${approval}` +
      `${own.length > 2 ? `,${own.slice(1, -1)}` : ''},"args_sha256":"${this.argsSha256}"${this.argsOnce()}}`;
    this.written = true;
    return this.sink.record(json, type, fields);
  }

  /** `,"args_bytes":…,"args":…` for the first event written, nothing after. */
  private argsOnce(): string {
    if (!this.argsPending) return '';
    this.argsPending = false;
    const preview = previewArgs(this.redactedArgs, this.options.previewBytes ?? 4096);
    return `,"args_bytes":${this.argsBytes},"args":${preview.json}${preview.truncated ? ',"args_truncated":true' : ''}`;
  }

  private get redactedArgs(): unknown {
    this.redacted ??= { value: this.redact(this.input.args ?? {}) };
    return this.redacted.value;
  }
}

/** Top-level strings of an event's own fields, cut to MAX_TEXT_CHARS (undefined ones dropped). */
function boundedText(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (fields === undefined) return undefined;
  let out: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === 'string' && value.length > MAX_TEXT_CHARS) {
      out ??= { ...fields };
      out[key] = cutString(value, MAX_TEXT_CHARS);
    }
  }
  return out ?? fields;
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
