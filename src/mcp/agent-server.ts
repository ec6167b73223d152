import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListToolsRequestSchema,
  McpError,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { classify } from '../policy/index.js';
import type { GrantConfig } from '../config/index.js';
import type { Caller } from './call-context.js';
import type { CallPipeline } from './call-pipeline.js';
import { withOutcomeSchema } from './outcomes.js';
import { asPassedThrough, invalidParams } from './protocol-error.js';
import type { PolicyProvider } from './policy-provider.js';
import type { ToolCatalogue } from './tool-catalogue.js';

const APPROVAL_NOTE = '[Requires human approval] ';

export interface AgentServerDeps {
  catalogue: ToolCatalogue;
  policies: PolicyProvider;
  pipeline: CallPipeline;
}

/**
 * The MCP server one agent connection talks to (one per stdio process or HTTP session: an SDK
 * Server serves exactly one transport). It lists only what the grant may call and sends every
 * call through the pipeline.
 */
export function createAgentServer(grant: GrantConfig, deps: AgentServerDeps, stdioSessionId?: string): Server {
  const server = new Server(
    { name: 'airlock', version: '0.1.0' },
    {
      capabilities: { tools: { listChanged: true }, prompts: { listChanged: true } },
      instructions:
        'Airlock MCP gateway: tool calls are checked against policy; some need a human\'s approval and may answer "pending" first.',
      debouncedNotificationMethods: ['notifications/tools/list_changed', 'notifications/prompts/list_changed'],
    },
  );
  // Streamable HTTP names the session in each request; stdio has one implicit session.
  const callerOf = (sessionId: string | undefined): Caller => ({
    grant,
    sessionId: sessionId ?? stdioSessionId ?? 'unknown',
  });
  server.setRequestHandler(ListToolsRequestSchema, (_request, extra) => ({
    tools: visibleTools(callerOf(extra.sessionId), deps),
  }));
  server.setRequestHandler(CallToolRequestSchema, (request, extra) =>
    deps.pipeline.handle(callerOf(extra.sessionId), request.params, extra),
  );
  // Prompts are read-only templates the upstreams publish; they pass through under the tools' names rule.
  server.setRequestHandler(ListPromptsRequestSchema, () => ({
    prompts: deps.catalogue.listPrompts().map((entry) => ({ ...entry.prompt, name: entry.name })),
  }));
  server.setRequestHandler(GetPromptRequestSchema, (request, extra) => {
    const entry = deps.catalogue.resolvePrompt(request.params.name);
    if (entry === undefined) throw invalidParams(`Unknown prompt: ${request.params.name}`);
    return entry.upstream
      .getPrompt({ ...request.params, name: entry.upstreamPrompt }, { signal: extra.signal })
      .catch((error: unknown) => {
        throw error instanceof McpError ? asPassedThrough(error) : error;
      });
  });
  return server;
}

function visibleTools(caller: Caller, { catalogue, policies }: AgentServerDeps): Tool[] {
  const policy = policies.policyFor(caller.grant);
  return catalogue.list().flatMap((entry) => {
    const view = classify(policy, entry.upstream.name, entry.upstreamTool);
    if (view.hidden || view.action === 'deny') return [];
    const tool: Tool = { ...entry.tool, name: entry.name };
    if (view.action === 'require_approval') tool.description = APPROVAL_NOTE + (entry.tool.description ?? '');
    const outputSchema = withOutcomeSchema(entry.tool.outputSchema);
    if (outputSchema !== undefined) tool.outputSchema = outputSchema;
    return [tool];
  });
}
