import type { Resource, ResourceTemplateType } from '@modelcontextprotocol/server';
import { UriTemplate } from '@modelcontextprotocol/server';
import type { Logger } from '../shared/index.js';
import type { UpstreamConnection } from './upstream-connection.js';

/** Where an agent-facing resource URI really lives. */
export interface ResourceTarget {
  upstream: UpstreamConnection;
  /** The URI as the upstream knows it. */
  uri: string;
}

const SCHEME = 'airlock://';

/**
 * The resources and resource templates of all upstreams under collision-free URIs.
 *
 * The rule (also in src/mcp/README.md), the tools' rule for URIs: with one upstream, URIs and
 * templates are unchanged; with several, each upstream's are exposed as
 * `airlock://<prefix>/<its own URI>` (prefix: the upstream's `prefix` setting, else its name), so
 * two upstreams' `file:///a` never meet, and a read names its upstream. `"prefix": ""` keeps an
 * upstream's URIs as they are; a URI two such upstreams both list is served by the first-listed.
 */
export class ResourceCatalogue {
  constructor(
    private readonly upstreams: UpstreamConnection[],
    private readonly prefixes: Map<string, string | undefined>,
    private readonly log: Logger,
  ) {}

  /** `listed(upstream, its URI)` filters by policy. */
  listResources(listed: (upstream: string, uri: string) => boolean = () => true): Resource[] {
    const seen = new Set<string>();
    return this.upstreams.flatMap((upstream) =>
      upstream.resources.flatMap((resource) => {
        if (!listed(upstream.name, resource.uri)) return [];
        const uri = this.agentUri(upstream.name, resource.uri);
        if (seen.has(uri)) {
          this.log.warn(
            { uri, upstream: upstream.name },
            'two upstreams list the same resource URI; serving the first',
          );
          return [];
        }
        seen.add(uri);
        return [{ ...resource, uri }];
      }),
    );
  }

  listTemplates(listed: (upstream: string, uriTemplate: string) => boolean = () => true): ResourceTemplateType[] {
    return this.upstreams.flatMap((upstream) =>
      upstream.resourceTemplates.flatMap((t) =>
        listed(upstream.name, t.uriTemplate)
          ? [{ ...t, uriTemplate: this.agentUri(upstream.name, t.uriTemplate) }]
          : [],
      ),
    );
  }

  /** The upstream and its URI for an agent's URI; undefined when no upstream can serve it. */
  resolve(agentUri: string): ResourceTarget | undefined {
    if (agentUri.startsWith(SCHEME)) {
      const rest = agentUri.slice(SCHEME.length);
      const slash = rest.indexOf('/');
      const upstream =
        slash > 0 ? this.upstreams.find((u) => this.prefixFor(u.name) === rest.slice(0, slash)) : undefined;
      if (upstream !== undefined) return { upstream, uri: rest.slice(slash + 1) };
    }
    const unprefixed = this.upstreams.filter((u) => this.prefixFor(u.name) === '' && u.capabilities?.resources);
    const listed = unprefixed.find((u) => u.resources.some((r) => r.uri === agentUri));
    if (listed !== undefined) return { upstream: listed, uri: agentUri };
    const templated = unprefixed.find((u) =>
      u.resourceTemplates.some((t) => new UriTemplate(t.uriTemplate).match(agentUri) !== null),
    );
    if (templated !== undefined) return { upstream: templated, uri: agentUri };
    // Servers may serve URIs they do not list; with one candidate, it is the one to ask.
    return unprefixed.length === 1 ? { upstream: unprefixed[0]!, uri: agentUri } : undefined;
  }

  /** An upstream's URI as agents see it. */
  agentUri(upstream: string, uri: string): string {
    const prefix = this.prefixFor(upstream);
    return prefix === '' ? uri : `${SCHEME}${prefix}/${uri}`;
  }

  private prefixFor(upstream: string): string {
    const configured = this.prefixes.get(upstream);
    if (configured !== undefined) return configured;
    return this.upstreams.length > 1 ? upstream : '';
  }
}
