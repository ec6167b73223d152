/**
 * The MCP boundary: agent-facing servers (Streamable HTTP sessions, stdio), upstream
 * connections, the tool catalogue, and the call pipeline where every tools/call is decided.
 * @module
 */
export { CallPipeline, type CallPipelineDeps } from './call-pipeline.js';
export { AIRLOCK_SERVER_INFO, createAgentServer } from './agent-server.js';
export { InputRounds } from './input-rounds.js';
export { createTasks, type Tasks } from './tasks.js';
export { TaskListenTransport } from './task-listen-stdio.js';
export { HeldRounds } from './held-rounds.js';
export { RoundRelay } from './round-relay.js';
export { createMcpEndpoint, type McpEndpointOptions } from './http-endpoint.js';
export { createModernLeg, type ModernLeg } from './modern-leg.js';
export type { Era } from './call-context.js';
export { GrantAuthenticator } from './grant-auth.js';
export { SessionRegistry, type AgentSession } from './sessions.js';
export { ToolCatalogue, collisionMessage, type CatalogueEntry, type ToolCollision } from './tool-catalogue.js';
export { ResourceCatalogue } from './resource-catalogue.js';
export { forwardedCapabilities, listenableUris, subscribedUris } from './agent-resources.js';
export { UpstreamConnection, type UpstreamHealth, type UpstreamState } from './upstream-connection.js';
export type { Caller } from './call-context.js';
