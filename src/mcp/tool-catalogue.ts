import { EventEmitter } from 'node:events';
import type { Prompt, Tool } from '@modelcontextprotocol/server';
import { classifyTool, type RiskClass } from '../risk/index.js';
import type { Logger } from '../shared/index.js';
import type { UpstreamConnection } from './upstream-connection.js';

/** A tool as agents see it, and where it really lives. */
export interface CatalogueEntry {
  /** The name agents call. */
  name: string;
  /** The upstream's own name for it; policies match this, within `servers.<upstream>`. */
  upstreamTool: string;
  upstream: UpstreamConnection;
  tool: Tool;
  /** Its risk class (from its annotations, name and description), for audit events. */
  risk: RiskClass;
}

/** A prompt as agents see it, and where it really lives. */
export interface PromptEntry {
  name: string;
  upstreamPrompt: string;
  upstream: UpstreamConnection;
  prompt: Prompt;
}

const PREFIX_SEPARATOR = '__';

/** A tool name two or more upstreams offer, with none of them assigned to it. */
export interface ToolCollision {
  name: string;
  upstreams: string[];
}

/**
 * Merges the tool lists of all upstreams under collision-free names.
 *
 * The rule (also in src/mcp/README.md): with one upstream, tool names are unchanged; with several,
 * every tool is named `<prefix>__<tool>` where the prefix is the upstream's `prefix` setting or
 * else its name. An upstream may set `"prefix": ""` to keep its names. A tool name that two
 * upstreams still share goes to the upstream `tool_owners` assigns it to; unassigned, it is
 * served by neither (which one wins would decide which policy section applies, so a permissive
 * section could bypass an approval rule): the gateway refuses to start with such a collision,
 * and one that appears later is withheld and named in the log and /readyz. Prompts (no policy)
 * keep the first-listed upstream's.
 */
export class ToolCatalogue extends EventEmitter<{ changed: []; promptsChanged: [] }> {
  private entries = new Map<string, CatalogueEntry>();
  private prompts = new Map<string, PromptEntry>();
  private toolCollisions: ToolCollision[] = [];

  constructor(
    private readonly upstreams: UpstreamConnection[],
    private readonly prefixes: Map<string, string | undefined>,
    private readonly log: Logger,
    /** Agent-visible tool name → the upstream that serves it when several offer it. */
    private readonly owners: ReadonlyMap<string, string> = new Map(),
  ) {
    super();
    for (const upstream of upstreams) upstream.on('tools', () => this.rebuild());
    for (const upstream of upstreams) upstream.on('prompts', () => this.rebuildPrompts());
    this.rebuild();
    this.rebuildPrompts();
  }

  listPrompts(): PromptEntry[] {
    return [...this.prompts.values()];
  }

  resolvePrompt(name: string): PromptEntry | undefined {
    return this.prompts.get(name);
  }

  /** Prompts follow the tools' naming rule, so a prefixed upstream's prompts are prefixed too. */
  private rebuildPrompts(): void {
    const { entries } = this.byAgentName(
      'prompt',
      (u) => u.prompts,
      (name, prompt, upstream) => ({ name, upstreamPrompt: prompt.name, upstream, prompt }),
    );
    this.prompts = entries;
    this.emit('promptsChanged');
  }

  /** Tool names withheld because several upstreams offer them and none is assigned. */
  collisions(): ToolCollision[] {
    return this.toolCollisions;
  }

  list(): CatalogueEntry[] {
    return [...this.entries.values()];
  }

  resolve(name: string): CatalogueEntry | undefined {
    return this.entries.get(name);
  }

  /** The entry of an upstream's own tool (an approved task knows its call by server and tool). */
  entryFor(server: string, upstreamTool: string): CatalogueEntry | undefined {
    for (const entry of this.entries.values())
      if (entry.upstream.name === server && entry.upstreamTool === upstreamTool) return entry;
    return undefined;
  }

  private rebuild(): void {
    const { entries, collisions } = this.byAgentName(
      'tool',
      (u) => u.tools,
      (name, tool, upstream) => ({ name, upstreamTool: tool.name, upstream, tool, risk: classifyTool(tool) }),
    );
    this.entries = entries;
    const before = JSON.stringify(this.toolCollisions);
    this.toolCollisions = collisions;
    if (JSON.stringify(collisions) !== before) {
      for (const c of collisions) this.log.error({ tool: c.name, upstreams: c.upstreams }, collisionMessage(c));
    }
    this.emit('changed');
  }

  /**
   * Every upstream's items under their agent-facing names. A tool name offered by several goes to
   * its assigned owner, or to none (a collision); a prompt name keeps the first upstream's.
   */
  private byAgentName<T extends { name: string }, E>(
    kind: 'tool' | 'prompt',
    items: (u: UpstreamConnection) => T[],
    entry: (name: string, item: T, upstream: UpstreamConnection) => E,
  ): { entries: Map<string, E>; collisions: ToolCollision[] } {
    const offers = new Map<string, { upstream: UpstreamConnection; item: T }[]>();
    for (const upstream of this.upstreams) {
      for (const item of items(upstream)) {
        const name = this.agentName(upstream.name, item.name);
        offers.set(name, [...(offers.get(name) ?? []), { upstream, item }]);
      }
    }
    const entries = new Map<string, E>();
    const collisions: ToolCollision[] = [];
    for (const [name, offered] of offers) {
      let chosen = offered[0]!;
      if (offered.length > 1) {
        const upstreams = offered.map((o) => o.upstream.name);
        const assigned = offered.find((o) => o.upstream.name === this.owners.get(name));
        if (assigned !== undefined) chosen = assigned;
        else if (kind === 'tool') {
          collisions.push({ name, upstreams });
          continue;
        } else {
          this.log.warn(
            { prompt: name, kept: chosen.upstream.name, upstreams },
            'two upstreams offer the same prompt name; serving the first-listed one (set "prefix" on one of them)',
          );
        }
      }
      entries.set(name, entry(name, chosen.item, chosen.upstream));
    }
    return { entries, collisions };
  }

  private agentName(upstream: string, name: string): string {
    const prefix = this.prefixFor(upstream);
    return prefix ? `${prefix}${PREFIX_SEPARATOR}${name}` : name;
  }

  private prefixFor(upstream: string): string {
    const configured = this.prefixes.get(upstream);
    if (configured !== undefined) return configured;
    return this.upstreams.length > 1 ? upstream : '';
  }
}

/** What a person reads to fix a collision. */
export function collisionMessage(c: ToolCollision): string {
  const names = c.upstreams.map((u) => `"${u}"`).join(' and ');
  return (
    `the tool name "${c.name}" is offered by upstreams ${names}, so it is served by neither: ` +
    `give one of them a "prefix", or assign the name with "tool_owners": {"${c.name}": "${c.upstreams[0]}"}`
  );
}
