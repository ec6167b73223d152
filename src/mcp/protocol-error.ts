import { ErrorCode, type McpError } from '@modelcontextprotocol/sdk/types.js';

/**
 * A JSON-RPC error for the agent, with a bare message. The SDK's McpError writes "MCP error
 * <code>: " into its own message, which the server then sends as the JSON-RPC message and the
 * agent's SDK prefixes again ("MCP error -32602: MCP error -32602: Unknown tool"). The SDK sends
 * any thrown error's integer `code` and `message` as they are.
 */
function protocolError(code: number, message: string, data?: unknown): Error & { code: number; data?: unknown } {
  return Object.assign(new Error(message), { code }, data === undefined ? {} : { data });
}

/** An upstream's JSON-RPC error as the upstream sent it (the SDK client's McpError adds its prefix). */
export function asPassedThrough(error: McpError): Error & { code: number; data?: unknown } {
  const prefix = `MCP error ${error.code}: `;
  const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return protocolError(error.code, message, error.data);
}

export function invalidParams(message: string): Error & { code: number } {
  return protocolError(ErrorCode.InvalidParams, message);
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
