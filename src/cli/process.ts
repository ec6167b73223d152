import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

/** Run a command body; a failure prints its message (not a stack) and exits non-zero. */
export async function exitOnError(log: Logger, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    const message = describeError(error);
    process.stderr.write(`airlock: ${message}\n`);
    log.flush();
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 100).unref();
  }
}

/** Close cleanly on SIGINT/SIGTERM (a second signal forces the exit). */
export function onShutdown(log: Logger, close: () => Promise<void>): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    log.info({ signal }, 'shutting down');
    close()
      .catch((error) => log.error({ err: describeError(error) }, 'shutdown failed'))
      .finally(() => {
        log.flush();
        process.exit(0);
      });
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}
