import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';

/**
 * An upstream's JSON-RPC error, for the agent exactly as the upstream sent it: code, message and
 * data. SDK v2 keeps the wire message bare (v1 wrote "MCP error <code>: " into it), and its error
 * classes are recognised across the client and server packages by brand, not bundle identity.
 */
export function asPassedThrough(error: ProtocolError): ProtocolError {
  return new ProtocolError(error.code, error.message, error.data);
}

export function invalidParams(message: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidParams, message);
}

/** Deeper arguments than any tool needs; past it, hashing and redaction would recurse too far. */
export const MAX_ARGUMENT_DEPTH = 64;

/** Whether a JSON value nests objects/arrays deeper than `max` (iterative: no recursion to overflow). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}
