/**
 * Builds one low-level MCP `Server` (one per connection) that answers like kkruglik/mlflow-mcp 0.4
 * on FastMCP 1.x. The low-level Server is used because McpServer would rewrite the schemas.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { ArtifactDownloads } from './artifact-downloads.js';
import { parseArguments } from './arguments.js';
import { findTool, INSTRUCTIONS, PROMPTS, resultKind, SERVER_NAME, SERVER_VERSION, TOOLS } from './catalog.js';
import { FastMcpRequestError, messageOf } from './errors.js';
import { renderPrompt } from './prompts.js';
import { shapeResult, toolErrorResult, unknownToolResult } from './results.js';
import type { StandinStore } from './store.js';
import { TOOL_HANDLERS, type ToolContext } from './tools/index.js';

export const DEFAULT_TRACKING_URI = 'http://127.0.0.1:5000';

export interface StandinServerOptions {
  /** Reported by `health`; defaults to $MLFLOW_TRACKING_URI, then http://127.0.0.1:5000. */
  trackingUri?: string;
  /** Where get_run_artifact writes files; share one per process so shutdown can clean up. */
  downloads?: ArtifactDownloads;
  /** One line per tool call, for the operator (stderr in the CLI). */
  log?: (line: string) => void;
}

/** Run one tools/call the way FastMCP does: unknown tool, argument validation, then the tool. */
export async function callStandinTool(
  ctx: ToolContext,
  name: string,
  rawArgs: Record<string, unknown> | undefined,
): Promise<CallToolResult> {
  const tool = findTool(name);
  const handler = TOOL_HANDLERS.get(name);
  if (!tool || !handler) return unknownToolResult(name);
  const parsed = parseArguments(
    {
      title: tool.inputSchema.title,
      properties: tool.inputSchema.properties,
      required: tool.inputSchema.required ?? [],
      mode: 'tool',
    },
    rawArgs ?? {},
  );
  if (!parsed.ok) return toolErrorResult(name, parsed.message);
  try {
    // Shaped inside too: results may still reference store objects the next call could change.
    return await ctx.store.exclusive(async () => shapeResult(resultKind(tool), await handler(parsed.values, ctx)));
  } catch (error) {
    return toolErrorResult(name, messageOf(error));
  }
}

export function createStandinServer(store: StandinStore, options: StandinServerOptions = {}): Server {
  const ctx: ToolContext = {
    store,
    trackingUri: options.trackingUri ?? process.env['MLFLOW_TRACKING_URI'] ?? DEFAULT_TRACKING_URI,
    downloads: options.downloads ?? new ArtifactDownloads(),
  };
  // FastMCP registers tools, prompts and resources handlers, none announcing list changes.
  const server = new Server(
    { name: SERVER_NAME, version: SERVER_VERSION },
    {
      capabilities: {
        experimental: {},
        prompts: { listChanged: false },
        resources: { subscribe: false, listChanged: false },
        tools: { listChanged: false },
      },
      instructions: INSTRUCTIONS,
    },
  );

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: TOOLS as unknown as Tool[] }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const result = await callStandinTool(ctx, request.params.name, request.params.arguments);
    options.log?.(`tools/call ${request.params.name}${result.isError ? ' -> error' : ''}`);
    return result;
  });
  server.setRequestHandler(ListPromptsRequestSchema, () => ({ prompts: [...PROMPTS] }));
  server.setRequestHandler(GetPromptRequestSchema, (request) =>
    renderPrompt(request.params.name, request.params.arguments),
  );
  server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: [] }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({ resourceTemplates: [] }));
  server.setRequestHandler(ReadResourceRequestSchema, (request) => {
    throw new FastMcpRequestError(`Unknown resource: ${request.params.uri}`);
  });
  return server;
}
