/**
 * FastMCP 1.x result shaping (spec §2): how a Python return value or exception becomes a
 * CallToolResult on the wire.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ResultKind } from './catalog.js';
import { toPlain, toPyJson, type PyValue } from './python-format.js';

const text = (value: string) => ({ type: 'text' as const, text: value });

/** `_convert_to_content`: None → nothing, a list → one block per item, str raw, anything else indent-2 JSON. */
function toContent(value: PyValue): CallToolResult['content'] {
  if (value === null) return [];
  if (Array.isArray(value)) return value.flatMap(toContent);
  return [text(typeof value === 'string' ? value : toPyJson(value))];
}

/** Shape a tool's return value the way its published outputSchema says FastMCP does. */
export function shapeResult(kind: ResultKind, value: PyValue): CallToolResult {
  const content = toContent(value);
  if (kind === 'dict') return { content, isError: false };
  return { content, structuredContent: { result: toPlain(value) }, isError: false };
}

/** A raised exception inside a tool: `Error executing tool <name>: <str(exc)>`. */
export function toolErrorResult(toolName: string, message: string): CallToolResult {
  return { content: [text(`Error executing tool ${toolName}: ${message}`)], isError: true };
}

/** ToolManager raises `ToolError("Unknown tool: <name>")` before any tool runs, so no prefix. */
export function unknownToolResult(toolName: string): CallToolResult {
  return { content: [text(`Unknown tool: ${toolName}`)], isError: true };
}
