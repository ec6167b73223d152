import type { Server } from '@modelcontextprotocol/server';
import {
  ProtocolError,
  ProtocolErrorCode,
  SdkError,
  SdkErrorCode,
  type LoggingLevel,
  type ServerCapabilities,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { asPassedThrough } from './protocol-error.js';
import type { ResourceCatalogue } from './resource-catalogue.js';
import type { ToolCatalogue } from './tool-catalogue.js';
import type { UpstreamConnection } from './upstream-connection.js';
import { checkRoundTarget, roundOf, upstreamRoundParams, type InputRounds } from './input-rounds.js';
import { guardedAccess, isListed, type AccessDeps } from './access-step.js';
import type { Caller } from './call-context.js';
import type { PolicyProvider } from './policy-provider.js';
import type { GrantConfig } from '../config/index.js';
import { accessVisible, decideAccess } from '../policy/index.js';
import { describeError, type Logger } from '../shared/index.js';

/** Agent-facing URIs each 2025-era agent server subscribed to (2026-era agents use subscriptions/listen). */
const subscriptions = new WeakMap<Server, Set<string>>();

export function subscribedUris(server: Server): ReadonlySet<string> {
  return subscriptions.get(server) ?? new Set();
}

/** The level each 2025-era agent server's agent set with logging/setLevel. */
const levels = new WeakMap<Server, LoggingLevel>();

export function sessionLogLevel(server: Server): LoggingLevel | undefined {
  return levels.get(server);
}

/** What the agent server offers beyond tools and prompts: the union of what the upstreams offer. */
export function forwardedCapabilities(upstreams: readonly UpstreamConnection[]): ServerCapabilities {
  const offered = upstreams.map((u) => u.capabilities ?? {});
  const capabilities: ServerCapabilities = {};
  if (offered.some((c) => c.resources)) {
    capabilities.resources = {
      listChanged: true,
      ...(offered.some((c) => c.resources?.subscribe) ? { subscribe: true } : {}),
    };
  }
  if (offered.some((c) => c.completions)) capabilities.completions = {};
  if (offered.some((c) => c.logging)) capabilities.logging = {};
  return capabilities;
}

const rethrow = (error: unknown): never => {
  throw error instanceof ProtocolError ? asPassedThrough(error) : error;
};

function notFound(uri: string): ProtocolError {
  // -32602 with data {uri}: resource-not-found in every era (the SDK's ResourceNotFoundError shape).
  return new ProtocolError(ProtocolErrorCode.InvalidParams, `Resource not found: ${uri}`, { uri });
}

type ForwardingDeps = AccessDeps & {
  resources: ResourceCatalogue;
  catalogue: ToolCatalogue;
  upstreams: readonly UpstreamConnection[];
  rounds: InputRounds;
};

/** What each group of handlers below needs: the server, its deps, who is calling. */
interface Forwarding {
  server: Server;
  deps: ForwardingDeps;
  callerOf: (ctx: ServerContext) => Caller;
  /** The policy names a resource by its upstream's URI (a template by its URI template). */
  listed: (ctx: ServerContext) => (server: string, uri: string) => boolean;
}

/**
 * resources/list, templates, read, subscribe and completion/complete, forwarded to the upstream
 * that owns the URI or prompt (resource-catalogue.ts has the URI rule). Results pass through;
 * only URIs are mapped between the upstream's and the agent's form.
 */
export function registerForwarding(
  server: Server,
  capabilities: ServerCapabilities,
  deps: ForwardingDeps,
  callerOf: (ctx: ServerContext) => Caller,
): void {
  const listed = (ctx: ServerContext) => {
    const caller = callerOf(ctx);
    return (upstream: string, uri: string) =>
      isListed(deps, caller, { kind: 'resources', server: upstream, name: uri });
  };
  const forwarding: Forwarding = { server, deps, callerOf, listed };
  if (capabilities.resources) registerResources(forwarding);
  if (capabilities.resources?.subscribe) registerSubscriptions(forwarding);
  if (capabilities.logging) registerLogLevel(forwarding);
  if (capabilities.completions) registerCompletions(forwarding);
}

function registerResources({ server, deps, callerOf, listed }: Forwarding): void {
  const { resources } = deps;
  server.setRequestHandler('resources/list', (_request, ctx) => ({
    resources: resources.listResources(listed(ctx)),
  }));
  server.setRequestHandler('resources/templates/list', (_request, ctx) => ({
    resourceTemplates: resources.listTemplates(listed(ctx)),
  }));
  server.setRequestHandler('resources/read', async (request, ctx) => {
    const target = resources.resolve(request.params.uri);
    if (target === undefined) throw notFound(request.params.uri);
    const round = roundOf(ctx);
    const roundTarget = `resources/read ${request.params.uri}`;
    checkRoundTarget(round, roundTarget);
    const caller = callerOf(ctx);
    const access = { kind: 'resources' as const, server: target.upstream.name, name: target.uri, args: {} };
    const result = await guardedAccess(
      deps,
      caller,
      access,
      () => notFound(request.params.uri),
      () =>
        target.upstream
          .forward(
            'resources/read',
            upstreamRoundParams({ ...request.params, uri: target.uri }, round),
            { signal: ctx.mcpReq.signal },
            caller.channel,
          )
          .catch(rethrow),
    );
    const contents = (result['contents'] as { uri: string }[] | undefined)?.map((c) => ({
      ...c,
      uri: resources.agentUri(target.upstream.name, c.uri),
    }));
    const mapped = { ...result, ...(contents ? { contents } : {}) };
    return (await deps.rounds.seal(caller.grant.name, mapped, { t: roundTarget }, ctx)) as never;
  });
}

function registerSubscriptions({ server, deps, callerOf, listed }: Forwarding): void {
  const { resources } = deps;
  const toggle = (method: 'resources/subscribe' | 'resources/unsubscribe') =>
    server.setRequestHandler(method, async (request, ctx) => {
      const target = resources.resolve(request.params.uri);
      if (target === undefined || !listed(ctx)(target.upstream.name, target.uri)) throw notFound(request.params.uri);
      const mine = subscriptions.get(server) ?? new Set<string>();
      subscriptions.set(server, mine);
      if (method === 'resources/subscribe') mine.add(request.params.uri);
      else mine.delete(request.params.uri);
      // The upstream stays subscribed while any agent may be; updates are filtered per agent server.
      if (method === 'resources/subscribe' && target.upstream.capabilities?.resources?.subscribe)
        await target.upstream
          .subscribeResource(target.uri, { signal: ctx.mcpReq.signal }, callerOf(ctx).channel)
          .catch(rethrow);
      return {};
    });
  toggle('resources/subscribe');
  toggle('resources/unsubscribe');
}

function registerLogLevel({ server, deps, callerOf }: Forwarding): void {
  // One upstream connection serves every agent: the level is the upstream's, last setter wins.
  server.setRequestHandler('logging/setLevel', async (request, ctx) => {
    // Kept for 2026-era upstreams, which take the level per request (agent-channel.ts).
    levels.set(server, request.params.level);
    const logging = deps.upstreams.filter((u) => u.state === 'ready' && u.capabilities?.logging);
    const channel = callerOf(ctx).channel;
    await Promise.all(
      logging.map((u) =>
        u
          .forward('logging/setLevel', request.params, { signal: ctx.mcpReq.signal }, channel)
          .catch((error: unknown) => {
            // A 2026-only upstream has no setLevel (levels travel per request there): nothing to set.
            if (error instanceof SdkError && error.code === SdkErrorCode.MethodNotSupportedByProtocolVersion) return;
            rethrow(error);
          }),
      ),
    );
    return {};
  });
}

function registerCompletions({ server, deps, callerOf, listed }: Forwarding): void {
  const { resources } = deps;
  server.setRequestHandler('completion/complete', async (request, ctx) => {
    const { ref } = request.params;
    let target: { upstream: UpstreamConnection; ref: typeof ref } | undefined;
    const caller = callerOf(ctx);
    if (ref.type === 'ref/prompt') {
      const entry = deps.catalogue.resolvePrompt(ref.name);
      const name = entry?.upstreamPrompt;
      if (entry && name && isListed(deps, caller, { kind: 'prompts', server: entry.upstream.name, name }))
        target = { upstream: entry.upstream, ref: { ...ref, name } };
    } else {
      const resolved = resources.resolve(ref.uri);
      if (resolved && listed(ctx)(resolved.upstream.name, resolved.uri))
        target = { upstream: resolved.upstream, ref: { ...ref, uri: resolved.uri } };
    }
    // Nothing to complete against: an empty answer, as a server without suggestions gives.
    if (target === undefined || !target.upstream.capabilities?.completions)
      return { completion: { values: [], hasMore: false } };
    return (await target.upstream
      .forward('completion/complete', { ...request.params, ref: target.ref }, { signal: ctx.mcpReq.signal })
      .catch(rethrow)) as never;
  });
}

/**
 * The URIs of a 2026-era agent's `subscriptions/listen` it may have: resolvable and allowed by the
 * policy. Each is subscribed upstream (once per upstream; its updates reach every listener of
 * this process through the modern leg's bus).
 */
export function listenableUris(
  deps: { resources: ResourceCatalogue; policies: PolicyProvider; log: Logger },
  grant: GrantConfig,
  uris: readonly string[],
): string[] {
  const policy = deps.policies.policyFor(grant);
  return uris.filter((uri) => {
    const target = deps.resources.resolve(uri);
    if (target === undefined) return false;
    if (!accessVisible(decideAccess(policy, 'resources', target.upstream.name, target.uri))) return false;
    if (target.upstream.capabilities?.resources?.subscribe)
      void target.upstream
        .subscribeResource(target.uri, {})
        .catch((error: unknown) =>
          deps.log.warn(
            { upstream: target.upstream.name, uri, err: describeError(error) },
            'upstream subscribe failed',
          ),
        );
    return true;
  });
}
