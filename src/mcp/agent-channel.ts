import {
  ProtocolError,
  ProtocolErrorCode,
  CLIENT_CAPABILITIES_META_KEY,
  LOG_LEVEL_META_KEY,
  type ClientCapabilities,
  type LoggingLevel,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { Client } from '@modelcontextprotocol/client';
import type { Logger } from '../shared/index.js';
import type { Era } from './call-context.js';

/** What an upstream may ask of the agent during a call (2025-era server→client requests). */
export type AgentRequestMethod = 'sampling/createMessage' | 'elicitation/create' | 'roots/list';

const CAPABILITY: Record<AgentRequestMethod, keyof ClientCapabilities> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

/**
 * The way back to the agent whose request an upstream is serving: its server→client requests
 * and its log and progress notifications go to that request's stream, and nowhere else.
 */
export interface AgentChannel {
  grant: string;
  era: Era;
  /** What the agent declared it can do: per request in 2026-07-28, per connection before. */
  capabilities(): ClientCapabilities | undefined;
  /** The log level it asked for: per request in 2026-07-28, by logging/setLevel before. */
  logLevel(): LoggingLevel | undefined;
  request(method: AgentRequestMethod, params: Record<string, unknown>): Promise<Record<string, unknown>>;
  notify(method: string, params: Record<string, unknown>): Promise<void>;
}

export function agentChannel(
  grant: string,
  era: Era,
  ctx: ServerContext,
  capabilities: () => ClientCapabilities | undefined,
  logLevel: () => LoggingLevel | undefined,
): AgentChannel {
  return {
    grant,
    era,
    capabilities,
    logLevel,
    async request(method, params) {
      if (era === 'modern') {
        // 2026-07-28 has no server→client requests: an allowed call asks through input_required
        // rounds instead (held-rounds.ts); an approved call runs without its agent's request.
        throw new ProtocolError(
          ProtocolErrorCode.MethodNotFound,
          `${method}: the agent speaks MCP 2026-07-28, which has no mid-call requests, and this call runs without an agent request to answer input_required rounds (an approved call)`,
        );
      }
      const capability = CAPABILITY[method];
      if (capabilities()?.[capability] === undefined)
        throw new ProtocolError(ProtocolErrorCode.MethodNotFound, `${method}: the agent did not declare ${capability}`);
      return (await ctx.mcpReq.send({ method, params } as never)) as Record<string, unknown>;
    },
    notify: (method, params) => ctx.mcpReq.notify({ method, params } as never),
  };
}

/**
 * A request to a 2026-era upstream on the agent's behalf: it carries the agent's own client
 * capabilities (so the upstream asks only for what the agent can give) and log level, not ours.
 */
export function withAgentEnvelope(params: Record<string, unknown>, channel: AgentChannel): Record<string, unknown> {
  const capabilities = channel.capabilities();
  const level = channel.logLevel();
  if (capabilities === undefined && level === undefined) return params;
  return {
    ...params,
    _meta: {
      ...(params['_meta'] as object | undefined),
      ...(capabilities === undefined ? {} : { [CLIENT_CAPABILITIES_META_KEY]: capabilities }),
      ...(level === undefined ? {} : { [LOG_LEVEL_META_KEY]: level }),
    },
  };
}

const AGENT_REQUESTS: readonly AgentRequestMethod[] = ['sampling/createMessage', 'elicitation/create', 'roots/list'];

/**
 * For one upstream connection: the agent requests it is serving now, and where its mid-call
 * requests and log lines go. Nothing on the wire names the request that caused them (stdio
 * carries no such link), so they are answered only while the upstream serves exactly one agent
 * request: with several, sending to one of them could hand one grant's data to another, so the
 * upstream's request is refused and its log line stays in Airlock's own log.
 */
export class CallerRouter {
  private readonly channels = new Set<AgentChannel>();

  constructor(
    private readonly upstream: string,
    private readonly log: Logger,
  ) {}

  /** Runs one agent request against the upstream with its channel registered for the duration. */
  async serving<T>(channel: AgentChannel | undefined, send: () => Promise<T>): Promise<T> {
    if (channel === undefined) return send();
    this.channels.add(channel);
    try {
      return await send();
    } finally {
      this.channels.delete(channel);
    }
  }

  /** Installs the handlers on a new upstream client. */
  attach(client: Client): void {
    for (const method of AGENT_REQUESTS) {
      client.setRequestHandler(
        method,
        async (request) =>
          (await this.sole(method).request(method, (request.params ?? {}) as Record<string, unknown>)) as never,
      );
    }
    client.setNotificationHandler('notifications/message', (notification) => {
      const only = this.channels.size === 1 ? [...this.channels][0] : undefined;
      if (only !== undefined) void only.notify('notifications/message', notification.params).catch(() => {});
      else
        this.log.debug(
          { upstream: this.upstream, message: notification.params },
          'upstream log line (no single caller)',
        );
    });
  }

  private sole(what: string): AgentChannel {
    if (this.channels.size === 1) return [...this.channels][0]!;
    throw new ProtocolError(
      ProtocolErrorCode.InternalError,
      this.channels.size === 0
        ? `${what}: no agent request is in flight on upstream "${this.upstream}" to send it to`
        : `${what}: ${this.channels.size} agent requests are in flight on upstream "${this.upstream}"; Airlock cannot tell which one asked, so it refuses`,
    );
  }
}
