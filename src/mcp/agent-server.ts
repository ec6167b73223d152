import {
  CLIENT_CAPABILITIES_META_KEY,
  LOG_LEVEL_META_KEY,
  type Server,
  type LoggingLevel,
  type ClientCapabilities,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { Tool } from '@modelcontextprotocol/server';
import { classify } from '../policy/index.js';
import type { GrantConfig } from '../config/index.js';
import type { Caller, Era } from './call-context.js';
import type { CallPipeline } from './call-pipeline.js';
import type { PolicyProvider } from './policy-provider.js';
import type { ToolCatalogue } from './tool-catalogue.js';
import { agentChannel } from './agent-channel.js';
import { forwardedCapabilities, registerForwarding, sessionLogLevel } from './agent-resources.js';
import type { ResourceCatalogue } from './resource-catalogue.js';
import type { UpstreamConnection } from './upstream-connection.js';
import type { InputRounds } from './input-rounds.js';
import { registerPrompts } from './agent-prompts.js';
import { AgentMcpServer, registerTaskMethods } from './agent-tasks.js';
import { TASKS_EXTENSION } from './upstream-tasks.js';
import type { TaskRouter } from './task-router.js';
import type { AuditLog } from '../audit/index.js';
import type { Logger } from '../shared/index.js';

const APPROVAL_NOTE = '[Requires human approval] ';

/** Who Airlock says it is to agents. */
export const AIRLOCK_SERVER_INFO = { name: 'airlock', version: '0.1.0' };

export interface AgentServerDeps {
  catalogue: ToolCatalogue;
  resources: ResourceCatalogue;
  upstreams: readonly UpstreamConnection[];
  policies: PolicyProvider;
  pipeline: CallPipeline;
  rounds: InputRounds;
  tasks: TaskRouter;
  audit: AuditLog;
  log: Logger;
}

/**
 * The MCP server an agent talks to: one per 2025-era connection (stdio process or HTTP session),
 * one per 2026-era HTTP request (the SDK's per-request serving). It lists only what the grant may
 * call and sends every call through the pipeline.
 */
export function createAgentServer(
  grant: GrantConfig,
  deps: AgentServerDeps,
  era: Era,
  stdioSessionId?: string,
): Server {
  const forwarded = forwardedCapabilities(deps.upstreams);
  // The tasks extension is a 2026-07-28 one: held calls become tasks, and upstream tasks pass through.
  const tasks = era === 'modern';
  const server = new AgentMcpServer(AIRLOCK_SERVER_INFO, {
    capabilities: {
      tools: { listChanged: true },
      prompts: { listChanged: true },
      ...forwarded,
      ...(tasks ? { extensions: { [TASKS_EXTENSION]: {} } } : {}),
    },
    instructions:
      'Airlock MCP gateway: tool calls are checked against policy; some need a human\'s approval and may answer "pending" first.',
    // Airlock's sealed state on input_required retries (input-rounds.ts), checked before any handler.
    requestState: { verify: deps.rounds.verifier(grant.name) },
    debouncedNotificationMethods: [
      'notifications/tools/list_changed',
      'notifications/prompts/list_changed',
      'notifications/resources/list_changed',
    ],
  });
  // Streamable HTTP names the session in each request; stdio has one implicit session.
  // What the agent declared: per connection in the 2025 era, per request in 2026-07-28.
  const capabilitiesOf = (ctx: ServerContext) => () =>
    era === 'modern'
      ? // The published typings declare the envelope as {}; its keys are the reserved _meta names.
        ((ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] as
          ClientCapabilities | undefined)
      : server.getClientCapabilities();
  const callerOf = (ctx: ServerContext): Caller => ({
    grant,
    sessionId: ctx.sessionId ?? stdioSessionId ?? `grant:${grant.name}`,
    era,
    channel: agentChannel(grant.name, era, ctx, capabilitiesOf(ctx), () =>
      era === 'modern'
        ? ((ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[LOG_LEVEL_META_KEY] as
            LoggingLevel | undefined)
        : sessionLogLevel(server),
    ),
  });
  server.setRequestHandler('tools/list', (_request, ctx) => ({
    tools: visibleTools(callerOf(ctx), deps),
  }));
  server.setRequestHandler('tools/call', (request, ctx) => deps.pipeline.handle(callerOf(ctx), request.params, ctx));
  registerPrompts(server, deps, callerOf);
  registerForwarding(server, forwarded, deps, callerOf);
  if (era === 'modern') registerTaskMethods(server, deps.tasks, callerOf);
  return server;
}

function visibleTools(caller: Caller, { catalogue, policies }: AgentServerDeps): Tool[] {
  const policy = policies.policyFor(caller.grant);
  return catalogue.list().flatMap((entry) => {
    const view = classify(policy, entry.upstream.name, entry.upstreamTool);
    if (view.hidden || view.action === 'deny') return [];
    const tool: Tool = { ...entry.tool, name: entry.name };
    if (view.action === 'require_approval') tool.description = APPROVAL_NOTE + (entry.tool.description ?? '');
    return [tool];
  });
}
