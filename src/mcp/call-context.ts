import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolRequest, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { CallTrail } from '../audit/index.js';
import type { GrantConfig } from '../config/index.js';
import type { Decision } from '../policy/index.js';
import type { Logger } from '../shared/index.js';
import type { CatalogueEntry } from './tool-catalogue.js';

/** Who is calling: the grant (one agent credential) and the MCP session it called from. */
export interface Caller {
  grant: GrantConfig;
  /** The Streamable HTTP session id; stdio has one implicit session per process. */
  sessionId: string;
}

export type HandlerExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

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
