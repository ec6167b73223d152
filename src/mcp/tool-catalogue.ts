import { EventEmitter } from 'node:events';
import type { Prompt, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../shared/logger.js';
import type { UpstreamConnection } from './upstream-connection.js';

/** A tool as agents see it, and where it really lives. */
export interface CatalogueEntry {
  /** The name agents call. */
  name: string;
  /** The upstream's own name for it; policies match this, within `servers.<upstream>`. */
  upstreamTool: string;
  upstream: UpstreamConnection;
  tool: Tool;
}

/** A prompt as agents see it, and where it really lives. */
export interface PromptEntry {
  name: string;
  upstreamPrompt: string;
  upstream: UpstreamConnection;
  prompt: Prompt;
}

export const PREFIX_SEPARATOR = '__';

/**
 * Merges the tool lists of all upstreams under collision-free names.
 *
 * The rule (also in src/mcp/README.md): with one upstream, tool names are unchanged; with several,
 * every tool is named `<prefix>__<tool>` where the prefix is the upstream's `prefix` setting or
 * else its name. An upstream may set `"prefix": ""` to keep its names. If two tools still end
 * up with the same name, the one from the upstream listed first in the config wins and the other
 * is left out with an error in the log, never silently shadowed.
 */
export class ToolCatalogue extends EventEmitter<{ changed: []; promptsChanged: [] }> {
  private entries = new Map<string, CatalogueEntry>();
  private prompts = new Map<string, PromptEntry>();

  constructor(
    private readonly upstreams: UpstreamConnection[],
    private readonly prefixes: Map<string, string | undefined>,
    private readonly log: Logger,
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
    this.prompts = this.byAgentName('prompt', (u) => u.prompts, (name, prompt, upstream) => ({ name, upstreamPrompt: prompt.name, upstream, prompt }));
    this.emit('promptsChanged');
  }

  list(): CatalogueEntry[] {
    return [...this.entries.values()];
  }

  resolve(name: string): CatalogueEntry | undefined {
    return this.entries.get(name);
  }

  private rebuild(): void {
    this.entries = this.byAgentName('tool', (u) => u.tools, (name, tool, upstream) => ({ name, upstreamTool: tool.name, upstream, tool }));
    this.emit('changed');
  }

  /** Every upstream's items under their agent-facing names; a name taken twice keeps the first upstream's. */
  private byAgentName<T extends { name: string }, E>(kind: string, items: (u: UpstreamConnection) => T[], entry: (name: string, item: T, upstream: UpstreamConnection) => E): Map<string, E> {
    const next = new Map<string, E>();
    const owner = new Map<string, string>();
    for (const upstream of this.upstreams) {
      for (const item of items(upstream)) {
        const name = this.agentName(upstream.name, item.name);
        const kept = owner.get(name);
        if (kept !== undefined) {
          this.log.error({ [kind]: name, kept, dropped: upstream.name }, `two upstreams offer the same ${kind} name; set "prefix" on one of them`);
          continue;
        }
        owner.set(name, upstream.name);
        next.set(name, entry(name, item, upstream));
      }
    }
    return next;
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
