import { DEFAULT_PREFIX, type RedisClient } from '../redis/index.js';
import { describeError, type Logger } from '../shared/index.js';
import type { AuditConfig } from '../config/index.js';
import type { AuditUnavailableError } from './errors.js';
import { DenialRollup, type RepeatedDenials } from './denial-rollup.js';
import { newAuditId, type AuditEvent, type AuditEventOf, type AuditEventType } from './events.js';
import { FileSink, type ChainHead } from './file-sink.js';
import { createRedactor, type Redactor } from './redact.js';
import { RecentIds } from './recent-ids.js';
import { BurstSummarizer, mayHaveSlackLine, type AuditLineSink } from './slack-lines.js';
import { StreamSink } from './stream-sink.js';
import { CallTrail, type CallInput, type ObservedEvent, type TrailSink } from './trail.js';

export interface AuditLogOptions {
  config: AuditConfig;
  /** A request-path client; without one there is no stream sink. */
  redis?: RedisClient;
  /** The deployment's key prefix (hash tag). Default `{airlock}`. */
  prefix?: string;
  /** The Slack audit channel; without one there are no lines. */
  lines?: AuditLineSink;
  log: Logger;
  now?: () => number;
  /** Least time between attempts to reopen a failed audit file. Default 1000 ms. */
  retryMs?: number;
  /** Told of every event and every file write (metrics); it must not throw. */
  observer?: AuditObserver;
}

/** What metrics learn from the audit trail: each event as emitted, each file append's time and result. */
export interface AuditObserver {
  event(event: ObservedEvent): void;
  written(seconds: number, ok: boolean): void;
}

/** An approval's own events (from the engine, in whichever process made the transition). */
export interface ApprovalInput extends Omit<CallInput, 'approval_id' | 'call_id'> {
  approval_id: string;
  /** The call that asked for it, when known; else the approval id stands in. */
  call_id?: string;
}

/**
 * The audit trail the gateway writes to: every event goes, redacted, to the hash-chained file
 * (the record of truth), the Redis stream and the Slack audit lines. See README.md.
 *
 * @example
 * const audit = AuditLog.open({ config, redis, prefix, lines: slackBot, log });
 * const trail = audit.call({ grant, session, server, tool, args });
 * trail.emit('call.received');
 * await trail.emit('policy.decided', { rule, action, reason }); // rejects when fail-closed and down
 * trail.emit('call.forwarded');
 * trail.emit('call.outcome', { outcome: 'ok' });                 // duration measured from forwarded
 */
export class AuditLog {
  readonly redact: Redactor;
  private readonly fileSink: FileSink;
  private readonly stream: StreamSink | undefined;
  private readonly summarizer: BurstSummarizer | undefined;
  private readonly rollup: DenialRollup;
  /** Approvals whose arguments this process's chain holds already (a call event, or an earlier approval event). */
  private readonly argsWritten = new RecentIds(10_000);
  private readonly timer: NodeJS.Timeout;
  private readonly sink: TrailSink;
  private readonly now: () => number;
  private closing = false;

  private constructor(
    private readonly options: AuditLogOptions,
    file: FileSink,
  ) {
    const now = options.now ?? Date.now;
    const { config } = options;
    this.now = now;
    this.fileSink = file;
    this.redact = createRedactor(config.redact);
    if (options.redis !== undefined) {
      this.stream = new StreamSink(options.redis, {
        prefix: options.prefix ?? DEFAULT_PREFIX,
        maxlen: config.stream.maxlen,
        log: options.log,
      });
    }
    let tickWindow = config.denial_rollup_window;
    if (options.lines !== undefined) {
      const lines = options.lines;
      this.summarizer = new BurstSummarizer({
        windowMs: config.slack_summary_window,
        now,
        post: (text) => lines.post(text),
      });
      tickWindow = Math.min(tickWindow, config.slack_summary_window);
    }
    this.rollup = new DenialRollup({
      windowMs: config.denial_rollup_window,
      now,
      write: (repeats) => this.recordRepeats(repeats),
    });
    // Roll-up summaries first: one landing in an open Slack burst is counted there, not posted twice.
    this.timer = setInterval(
      () => {
        this.rollup.tick();
        this.summarizer?.tick();
      },
      Math.max(250, Math.min(tickWindow / 4, 10_000)),
    );
    this.timer.unref();
    this.sink = {
      now,
      record: (json, type, fields) => this.record(json, type, fields),
      rollUpDenial: (denial) => !this.closing && !this.refusing && this.rollup.add(denial),
      approvalSeen: (id) => this.argsWritten.add(id),
      ...(options.observer ? { observe: (event: ObservedEvent) => options.observer!.event(event) } : {}),
    };
  }

  /**
   * Opens the file sink: the lowest free slot of `config.dir` (README.md "Files and processes"),
   * or exactly `config.file` when set, continuing that file's chain. With fail_mode "closed" an
   * audit file that cannot be opened throws AuditUnavailableError: the gateway must not start
   * without its record.
   */
  static open(options: AuditLogOptions): AuditLog {
    const { config } = options;
    const file = FileSink.open({
      dir: config.dir,
      file: config.file,
      maxBytes: config.max_bytes,
      failMode: config.fail_mode,
      fsync: config.fsync,
      log: options.log,
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.retryMs === undefined ? {} : { retryMs: options.retryMs }),
    });
    return new AuditLog(options, file);
  }

  /** A trail for one tools/call: hashes the arguments once; its first event carries them (README.md "Arguments"). */
  call(input: CallInput): CallTrail {
    return new CallTrail(this.sink, input, this.redact, { previewBytes: this.options.config.args_preview_bytes });
  }

  /**
   * A trail for an approval's events outside the call that asked for it (Slack, CLI, expiry). Its
   * first event carries the arguments only when this process's chain has none of this approval
   * yet (no call of it here, no earlier approval event): each chain can be read on its own, and
   * an approval's arguments are in it once. Make it right before emitting.
   */
  approval(input: ApprovalInput): CallTrail {
    const withArgs = !this.argsWritten.has(input.approval_id);
    this.argsWritten.add(input.approval_id);
    return new CallTrail(this.sink, { ...input, call_id: input.call_id ?? input.approval_id }, this.redact, {
      previewBytes: this.options.config.args_preview_bytes,
      withArgs,
    });
  }

  /** The file this process writes (absolute); undefined while no slot could be claimed (fail-open start). */
  get file(): string | undefined {
    return this.fileSink.file;
  }

  /** This process's chain name: `<host>-<n>`, or the fixed file's name without its extension. */
  get instance(): string | undefined {
    return this.fileSink.instance;
  }

  /** False while the audit file cannot be written (for /readyz; see also `refusing`). */
  get healthy(): boolean {
    return this.fileSink.healthy;
  }

  /** True when calls must be refused: the file cannot be written and fail_mode is "closed". */
  get refusing(): boolean {
    return !this.fileSink.healthy && this.options.config.fail_mode === 'closed';
  }

  get lastError(): AuditUnavailableError | undefined {
    return this.fileSink.lastError;
  }

  get chainHead(): ChainHead {
    return this.fileSink.chainHead;
  }

  /** Events the Redis stream lost (full queue, Redis errors) since start. */
  get streamDropped(): number {
    return this.stream?.dropped ?? 0;
  }

  /** Writes everything queued: the file now, the stream when Redis answers. */
  async flush(): Promise<void> {
    await Promise.all([this.fileSink.flush().catch(() => {}), this.stream?.flush()]);
  }

  /** Repeated denials counted in windows still open (README.md "Repeated denials"). */
  get rollupWindows(): number {
    return this.rollup.size;
  }

  /** Writes the summaries of every open roll-up window (and posts pending Slack summaries) now. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.closing = true;
    this.rollup.flush();
    this.summarizer?.flush();
    await this.flush();
    await this.fileSink.close();
  }

  /** The `call.denied_repeatedly` event of one closed roll-up window, to every sink. */
  private recordRepeats(repeats: RepeatedDenials): void {
    const at = this.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const event: AuditEventOf<'call.denied_repeatedly'> = {
      v: 1,
      id: newAuditId(at),
      time: iso(at),
      type: 'call.denied_repeatedly',
      call_id: repeats.first_call_id,
      grant: repeats.grant,
      server: repeats.server,
      tool: repeats.tool,
      rule: repeats.rule,
      ...(repeats.reason === undefined ? {} : { reason: repeats.reason }),
      count: repeats.count,
      first_call_id: repeats.first_call_id,
      since: iso(repeats.since),
      until: iso(repeats.until),
      args_sha256: repeats.args_sha256,
    };
    void this.record(JSON.stringify(event), event.type, event);
  }

  private record(
    json: string,
    type: AuditEventType,
    fields: Readonly<Record<string, unknown>> | undefined,
  ): Promise<void> {
    const written = this.fileSink.append(json);
    const observer = this.options.observer;
    if (observer !== undefined) {
      const started = performance.now();
      // fail_mode "open" resolves a failed write too: the sink's health tells.
      written.then(
        () => observer.written((performance.now() - started) / 1_000, this.fileSink.healthy),
        () => observer.written((performance.now() - started) / 1_000, false),
      );
    }
    this.stream?.push(json);
    if (this.summarizer !== undefined && mayHaveSlackLine(type, fields?.action)) {
      try {
        this.summarizer.add(JSON.parse(json) as AuditEvent);
      } catch (error) {
        this.options.log.warn({ err: describeError(error) }, 'audit line for Slack failed');
      }
    }
    return written;
  }
}
