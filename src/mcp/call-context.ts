import type { CallToolRequest, ServerContext } from '@modelcontextprotocol/server';
import type { CallTrail } from '../audit/index.js';
import type { GrantConfig } from '../config/index.js';
import type { Decision } from '../policy/index.js';
import type { Logger } from '../shared/index.js';
import type { CallTelemetry } from '../telemetry/index.js';
import type { AgentChannel } from './agent-channel.js';
import type { CatalogueEntry } from './tool-catalogue.js';

/** The protocol era of an agent's request: 2025 (`initialize`, sessions) or 2026-07-28 (per request). */
export type Era = 'legacy' | 'modern';

/** Who is calling: the grant (one agent credential) and the MCP session it called from. */
export interface Caller {
  grant: GrantConfig;
  /**
   * The Streamable HTTP session id; stdio has one implicit session per process. 2026-era HTTP
   * requests have no session: theirs is the grant's (`grant:<name>`), so session-scoped limits
   * count per grant for them, the stricter reading.
   */
  sessionId: string;
  era: Era;
  /** Back to this agent request, for what the upstream asks or logs during it. */
  channel?: AgentChannel;
}

export type HandlerExtra = ServerContext;

/** What sending a call upstream uses of the agent's request: its abort signal and its notifications. */
export interface RequestScope {
  mcpReq: Pick<HandlerExtra['mcpReq'], 'signal' | 'notify'>;
}

/**
 * One tools/call once its policy decision is made: everything the later steps (limits, hold,
 * upstream) need, built once by the pipeline and passed whole.
 */
export interface CallContext {
  caller: Caller;
  /** The tool as the catalogue resolved it (its upstream and the upstream's own name). */
  entry: CatalogueEntry;
  /** The request's params as the agent sent them (`name` is the agent-facing name). */
  params: CallToolRequest['params'];
  extra: HandlerExtra;
  decision: Decision;
  trail: CallTrail;
  /** Its span and step spans, its upstream latency (NO_CALL_TELEMETRY when off). */
  telemetry: CallTelemetry;
  log: Logger;
}

/** Log fields every step of a call shares. */
export function logContext(call: CallContext): Record<string, string> {
  return {
    grant: call.caller.grant.name,
    session: call.caller.sessionId,
    tool: call.params.name,
    rule: call.decision.rule,
    call: call.trail.callId,
  };
}
