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
    const next = new Map<string, PromptEntry>();
    for (const upstream of this.upstreams) {
      for (const prompt of upstream.prompts) {
        const name = this.agentName(upstream.name, prompt.name);
        if (!next.has(name)) next.set(name, { name, upstreamPrompt: prompt.name, upstream, prompt });
      }
    }
    this.prompts = next;
    this.emit('promptsChanged');
  }

  list(): CatalogueEntry[] {
    return [...this.entries.values()];
  }

  resolve(name: string): CatalogueEntry | undefined {
    return this.entries.get(name);
  }

  private rebuild(): void {
    const next = new Map<string, CatalogueEntry>();
    for (const upstream of this.upstreams) {
      for (const tool of upstream.tools) {
        const name = this.agentName(upstream.name, tool.name);
        const taken = next.get(name);
        if (taken !== undefined) {
          this.log.error({ tool: name, kept: taken.upstream.name, dropped: upstream.name }, 'two upstreams offer the same tool name; set "prefix" on one of them');
          continue;
        }
        next.set(name, { name, upstreamTool: tool.name, upstream, tool });
      }
    }
    this.entries = next;
    this.emit('changed');
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
