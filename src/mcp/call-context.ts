import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { GrantConfig } from '../config/schema.js';

/** Who is calling: the grant (one agent credential) and the MCP session it called from. */
export interface Caller {
  grant: GrantConfig;
  /** The Streamable HTTP session id; stdio has one implicit session per process. */
  sessionId: string;
}

export type HandlerExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;
