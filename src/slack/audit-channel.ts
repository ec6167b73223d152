import { describeError, type Logger } from '../shared/index.js';
import { SLACK_LIMITS } from './text.js';

/** Where formatted audit lines go (the audit module formats them and rolls bursts up). */
export interface AuditLineSink {
  post(text: string): void;
}

export interface SlackAuditChannelOptions {
  channel: string;
  /** Enqueues one chat.postMessage as an outbox job (retries, Retry-After). */
  send: (channel: string, text: string) => Promise<void>;
  log: Logger;
  /** Lines arriving within this window go out as one message. Default 1 s. */
  flushMs?: number;
  /** A message never grows beyond this many characters. Default 3,000. */
  maxChars?: number;
}

/**
 * The audit channel as an AuditLineSink: lines are batched (one message per second at most from
 * this process, several lines per message), then sent through the outbox, so a burst costs a few
 * Slack calls and never blocks the caller. post() never throws.
 */
export class SlackAuditChannel implements AuditLineSink {
  private lines: string[] = [];
  private size = 0;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();

  constructor(private readonly options: SlackAuditChannelOptions) {}

  post(text: string): void {
    const max = this.options.maxChars ?? SLACK_LIMITS.fallbackText;
    const line = text.length <= max ? text : text.slice(0, max - 1) + '…';
    if (this.size + line.length + 1 > max) this.flushNow();
    this.lines.push(line);
    this.size += line.length + 1;
    this.timer ??= setTimeout(() => this.flushNow(), this.options.flushMs ?? 1_000);
  }

  /** Sends what is buffered; resolves once it is enqueued. */
  async flush(): Promise<void> {
    this.flushNow();
    await this.sending;
  }

  async close(): Promise<void> {
    await this.flush();
  }

  private flushNow(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.lines.length === 0) return;
    const text = this.lines.join('\n');
    this.lines = [];
    this.size = 0;
    this.sending = this.sending.then(() =>
      this.options
        .send(this.options.channel, text)
        .catch((error: unknown) =>
          this.options.log.warn({ err: describeError(error) }, 'could not queue an audit line for Slack'),
        ),
    );
  }
}
