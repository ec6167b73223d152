/**
 * Errors whose `message` is exactly what Python's `str(exc)` gives for the real server, since
 * that string is what the client sees after "Error executing tool <name>: ".
 */
export type MlflowErrorCode =
  'RESOURCE_DOES_NOT_EXIST' | 'RESOURCE_ALREADY_EXISTS' | 'INVALID_PARAMETER_VALUE' | 'INTERNAL_ERROR' | 'NOT_FOUND';

export class MlflowError extends Error {
  /**
   * @param remote true when the tracking server raised it: the REST client then reads
   *   `"<CODE>: <message>"`; client-side validation keeps the bare message.
   */
  constructor(
    readonly errorCode: MlflowErrorCode,
    readonly detail: string,
    remote: boolean,
  ) {
    super(remote ? `${errorCode}: ${detail}` : detail);
    this.name = 'MlflowException';
  }
}

export const notFound = (detail: string): MlflowError => new MlflowError('RESOURCE_DOES_NOT_EXIST', detail, true);
export const alreadyExists = (detail: string): MlflowError => new MlflowError('RESOURCE_ALREADY_EXISTS', detail, true);
export const invalidParam = (detail: string): MlflowError => new MlflowError('INVALID_PARAMETER_VALUE', detail, true);
export const clientInvalidParam = (detail: string): MlflowError =>
  new MlflowError('INVALID_PARAMETER_VALUE', detail, false);

/** A plain Python exception (ValueError, KeyError, OSError …) with its str() text. */
export class PythonError extends Error {}

/**
 * An exception outside tools/call (prompts/get, resources/read): the Python SDK answers with a
 * JSON-RPC error whose code is 0 and whose message is str(exc).
 */
export class FastMcpRequestError extends Error {
  readonly code = 0;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
