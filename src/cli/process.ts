import { describeError, type Logger } from '../shared/index.js';

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
