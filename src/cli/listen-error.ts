import { AirlockError, describeError } from '../shared/index.js';

/**
 * Why the listener could not open, as the user can fix it. `portHint` says how to choose
 * another port in the command at hand.
 */
export function listenError(error: unknown, where: string, portHint: string): AirlockError {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'EADDRINUSE'
      ? `the port is in use (another Airlock?). ${portHint}`
      : code === 'EACCES'
        ? 'permission denied (ports below 1024 need privileges)'
        : describeError(error);
  return new AirlockError('listen_failed', `cannot listen on ${where}: ${why}`, { cause: error });
}
