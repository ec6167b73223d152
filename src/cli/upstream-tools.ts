import type { Tool } from '@modelcontextprotocol/server';
import type { Config } from '../config/index.js';
import { ToolCatalogue, UpstreamConnection } from '../mcp/index.js';
import { AirlockError, silentLogger } from '../shared/index.js';

export interface UpstreamTools {
  /** Each reachable upstream's tools, as it lists them, in config order. */
  toolsByServer: Map<string, Tool[]>;
  /** The upstreams that could not be listed, and why. */
  unreachable: { name: string; error: string }[];
  /** The names agents call the tools by (prefixed when there are several upstreams). */
  agentNames: Map<string, { server: string; tool: string }>;
}

/**
 * Starts each configured upstream (or only `only`), lists its tools and closes it again: what
 * `check`, `explain` and `init` read the tools' definitions from.
 */
export async function listUpstreamTools(config: Config, only?: string): Promise<UpstreamTools> {
  const { upstreams } = config;
  if (only !== undefined && upstreams[only] === undefined)
    throw new AirlockError(
      'config_invalid',
      `no upstream named "${only}" in the config (its upstreams: ${Object.keys(upstreams).join(', ') || 'none'})`,
    );
  const connections = Object.entries(upstreams)
    .filter(([name]) => only === undefined || name === only)
    .map(([name, config]) => new UpstreamConnection(name, config, silentLogger()));
  try {
    await Promise.all(connections.map((c) => c.start()));
    const ready = connections.filter((c) => c.state === 'ready');
    const prefixes = new Map(Object.entries(upstreams).map(([name, u]) => [name, u.prefix]));
    const catalogue = new ToolCatalogue(
      connections,
      prefixes,
      silentLogger(),
      new Map(Object.entries(config.tool_owners)),
    );
    const agentNames = new Map(
      catalogue.list().map((e) => [e.name, { server: e.upstream.name, tool: e.upstreamTool }]),
    );
    return {
      agentNames,
      toolsByServer: new Map(ready.map((c) => [c.name, c.tools])),
      unreachable: connections
        .filter((c) => c.state !== 'ready')
        .map((c) => ({ name: c.name, error: c.lastError ?? `did not answer (${c.state})` })),
    };
  } finally {
    await Promise.all(connections.map((c) => c.close()));
  }
}
