import { setTimeout as sleep } from 'node:timers/promises';
import { describeError, type Logger } from '../shared/index.js';

interface Cleanup {
  name: string;
  run: () => Promise<void> | void;
  /** A step that overruns this is abandoned so the steps after it (registered before it) still run. */
  timeoutMs?: number;
}

/**
 * How a long-running command ends. Every way out — SIGTERM (how MCP clients stop stdio servers),
 * SIGINT, SIGHUP, stdin closed, a start-up failure, an uncaught error — runs the same cleanups,
 * newest first, within one deadline, then exits. Cleanups are registered as soon as the thing
 * they undo exists, so a signal in the middle of start-up leaves nothing behind (the embedded
 * redis-server, above all). A second signal exits at once.
 */
export class Lifecycle {
  private readonly cleanups: Cleanup[] = [];
  private exiting: Promise<never> | undefined;

  constructor(
    private readonly log: Logger,
    /** After this, the process exits even if a cleanup has not finished. */
    private deadlineMs = 5_000,
  ) {}

  /** Once the config is known (its shutdown grace): the new deadline counts from the signal, as before. */
  setDeadline(ms: number): void {
    this.deadlineMs = ms;
  }

  /** Installs the signal and crash handlers; call once, first thing. */
  install(): this {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(signal, () => {
        if (this.exiting !== undefined) {
          this.log.warn({ signal }, 'second signal: exiting now');
          process.exit(1);
        }
        void this.exit(0, signal);
      });
    }
    process.on('uncaughtException', (error) => {
      this.log.fatal({ err: describeError(error), stack: error.stack }, 'uncaught error');
      void this.exit(1, 'uncaught error');
    });
    process.on('unhandledRejection', (reason) => {
      this.log.fatal({ err: describeError(reason) }, 'unhandled promise rejection');
      void this.exit(1, 'unhandled rejection');
    });
    return this;
  }

  /** Registers what undoes a resource just acquired. */
  defer(name: string, run: Cleanup['run'], options: { timeoutMs?: number } = {}): void {
    this.cleanups.push({ name, run, ...options });
  }

  get isExiting(): boolean {
    return this.exiting !== undefined;
  }

  /** Runs the cleanups once (later calls wait for the first) and exits with `code`. */
  exit(code: number, why: string): Promise<never> {
    this.exiting ??= this.runCleanups(why).then(() => this.finish(code));
    return this.exiting;
  }

  private async runCleanups(why: string): Promise<void> {
    this.log.info({ why }, 'shutting down');
    const deadline = sleep(this.deadlineMs, 'late' as const, { ref: false });
    const all = (async () => {
      for (const cleanup of this.cleanups.splice(0).reverse()) {
        try {
          if ((await withTimeout(cleanup.run(), cleanup.timeoutMs)) === 'late')
            this.log.warn(
              { step: cleanup.name, timeout_ms: cleanup.timeoutMs },
              'cleanup step did not finish in time; going on',
            );
        } catch (error) {
          this.log.error({ step: cleanup.name, err: describeError(error) }, 'cleanup step failed');
        }
      }
    })();
    if ((await Promise.race([all, deadline])) === 'late') {
      this.log.error({ deadline_ms: this.deadlineMs }, 'shutdown did not finish in time; exiting anyway');
    }
  }

  private async finish(code: number): Promise<never> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 200);
      this.log.flush(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    process.exit(code);
  }
}

async function withTimeout(work: Promise<void> | void, ms: number | undefined): Promise<void | 'late'> {
  if (ms === undefined) return work;
  const cancel = new AbortController();
  // The race has subscribed to `late`, so its rejection by the abort below is handled.
  const late = sleep(ms, 'late' as const, { signal: cancel.signal });
  try {
    return await Promise.race([Promise.resolve(work), late]);
  } finally {
    cancel.abort();
  }
}
