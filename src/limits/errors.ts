import { AirlockError, describeError } from '../shared/index.js';

/**
 * Redis could not be asked (down, unreachable, too slow, out of memory). A call whose rule has
 * limits is refused: nothing is admitted unchecked.
 */
export class LimitsUnavailableError extends AirlockError {
  constructor(what: string, cause: unknown) {
    super('limits_unavailable', `Redis is unreachable or failing (${describeError(cause)}): ${what}`, { cause });
  }
}
