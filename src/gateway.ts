import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import { serveStdio, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import type { Server } from '@modelcontextprotocol/server';
import type { ApprovalEngine } from './approvals/index.js';
import type { AuditLog } from './audit/index.js';
import type { Config, GrantConfig } from './config/index.js';
import { createConsoleRoute } from './console/index.js';
import { consoleData } from './gateway-console.js';
import { startCallPath, startStores, startUpstreams, type Closer } from './gateway-parts.js';
import { sendJson, startListener } from './http/index.js';
import {
  AIRLOCK_SERVER_INFO,
  collisionMessage,
  createAgentServer,
  createMcpEndpoint,
  createModernLeg,
  forwardedCapabilities,
  GrantAuthenticator,
  listenableUris,
  SessionRegistry,
  TaskListenTransport,
  subscribedUris,
  type CallPipeline,
  type Era,
  type InputRounds,
  type ModernLeg,
  type ResourceCatalogue,
  type Tasks,
  type ToolCatalogue,
  type UpstreamConnection,
  type UpstreamHealth,
} from './mcp/index.js';
import { PolicySet } from './policy/index.js';
import { DEFAULT_PREFIX, type RedisClient } from './redis/index.js';
import type { RateLimiter } from './limits/index.js';
import type { Logger } from './shared/index.js';
import type { SlackBot } from './slack/index.js';
import { Telemetry, type TelemetryOptions } from './telemetry/index.js';

export interface GatewayOptions {
  config: Config;
  log: Logger;
  /** The embedded Redis the caller joined (and leaves); omitted, the config's `redis` (a URL, a cluster, Sentinel). */
  redisUrl?: string | undefined;
  /** Tests: spans go to this processor (tracing on without an OTLP endpoint). */
  spanProcessor?: TelemetryOptions['spanProcessor'];
}

/** What the metrics' gauges read, filled in as the parts start. */
interface LiveParts {
  approvals?: ApprovalEngine;
  audit?: AuditLog;
  upstreams?: UpstreamConnection[];
  sessions?: () => number;
}

/** How long one part may take to close, with Redis up and with Redis down (BullMQ waits for a reconnect that will not come). */
const PART_CLOSE_MS = 3_000;
const PART_CLOSE_REDIS_DOWN_MS = 300;

async function closeWithin(closer: Closer, ms: number): Promise<'late' | void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  try {
    return await Promise.race([Promise.resolve(closer.close()).catch(() => {}), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Everything a running gateway is made of; `close()` takes it down in reverse order. */
interface GatewayParts {
  config: Config;
  log: Logger;
  upstreams: UpstreamConnection[];
  catalogue: ToolCatalogue;
  resources: ResourceCatalogue;
  policies: PolicySet;
  pipeline: CallPipeline;
  rounds: InputRounds;
  tasks: Tasks;
  redisClient: RedisClient;
  limiter: RateLimiter;
  approvals: ApprovalEngine;
  audit: AuditLog;
  slack: SlackBot | undefined;
  telemetry: Telemetry;
  live: LiveParts;
  closers: Closer[];
  /** Aborted at shutdown: held calls answer `pending` (their approvals stay in Redis). */
  drain: AbortController;
}

/**
 * Wiring only: builds the boundaries from the config and connects them. Where a call is decided
 * is src/mcp/call-pipeline.ts.
 */
export class Gateway {
  private readonly servers = new Set<Server>();
  private http: HttpServer | undefined;
  private sessions: SessionRegistry | undefined;
  private modern: ModernLeg | undefined;
  private closing: Promise<void> | undefined;
  /** Shutdown began: no new sessions, /readyz unready. */
  private draining = false;

  private constructor(private readonly parts: GatewayParts) {
    // Upstream tool changes and policy reloads both change what agents may see.
    parts.catalogue.on('changed', () => this.broadcastToolListChanged());
    parts.catalogue.on('promptsChanged', () => {
      for (const server of this.servers) void server.sendPromptListChanged().catch(() => {});
      this.modern?.promptsChanged();
    });
    parts.policies.on('changed', () => this.broadcastToolListChanged());
    for (const upstream of parts.upstreams) {
      upstream.on('resources', () => {
        for (const server of this.servers) void server.sendResourceListChanged().catch(() => {});
        this.modern?.resourcesChanged();
      });
      upstream.on('resourceUpdated', (uri) => this.relayResourceUpdated(parts.resources.agentUri(upstream.name, uri)));
    }
  }

  /** To the 2025-era agents subscribed to it, and to 2026-era listen streams that asked for it. */
  private relayResourceUpdated(uri: string): void {
    for (const server of this.servers)
      if (subscribedUris(server).has(uri)) void server.sendResourceUpdated({ uri }).catch(() => {});
    this.modern?.resourceUpdated(uri);
  }

  get approvals(): ApprovalEngine {
    return this.parts.approvals;
  }

  /** The Slack receiver's URL, when Slack runs in HTTP mode. */
  get slackUrl(): string | undefined {
    return this.parts.slack?.url;
  }

  static async start({ config, log, redisUrl, spanProcessor }: GatewayOptions): Promise<Gateway> {
    const closers: Closer[] = [];
    try {
      const live: LiveParts = {};
      const grants = config.grants.map((g) => g.name);
      const telemetry = new Telemetry({
        metrics: config.metrics,
        env: process.env,
        version: AIRLOCK_SERVER_INFO.version,
        ...(spanProcessor ? { spanProcessor } : {}),
        sources: {
          pendingApprovals: () => live.approvals?.pendingCounts(grants) ?? Promise.resolve(new Map()),
          upstreams: () => (live.upstreams ?? []).map((u) => ({ name: u.name, ready: u.state === 'ready' })),
          sessions: () => live.sessions?.() ?? 0,
          auditStreamDropped: () => live.audit?.streamDropped ?? 0,
        },
      });
      // Closed last: the spans of calls that ended during shutdown are exported too.
      closers.push({ name: 'telemetry', close: () => telemetry.close() });
      const policies = PolicySet.open(config.policy, config.grants, log);
      closers.push({ name: 'policy watcher', close: () => policies.close() });
      const stores = await startStores(config, redisUrl, log, closers, telemetry);
      Object.assign(live, { approvals: stores.approvals, audit: stores.audit });
      const { catalogue, upstreams, resources } = await startUpstreams(config, log, closers);
      live.upstreams = upstreams;
      const { pipeline, rounds, tasks, drain } = await startCallPath(
        config,
        log,
        stores,
        { policies, catalogue, upstreams },
        closers,
        telemetry,
      );
      return new Gateway({
        config,
        log,
        upstreams,
        catalogue,
        resources,
        policies,
        pipeline,
        rounds,
        tasks,
        ...stores,
        telemetry,
        live,
        closers,
        drain,
      });
    } catch (error) {
      for (const closer of closers.splice(0).reverse()) await Promise.resolve(closer.close()).catch(() => {});
      throw error;
    }
  }

  /** Serves agents over Streamable HTTP at `/mcp`; returns the base URL. */
  async listen(): Promise<{ url: string; port: number }> {
    const { config, log } = this.parts;
    const sessionLimits = {
      idleTimeoutMs: config.sessions.idle_timeout,
      max: config.sessions.max,
      maxPerGrant: config.sessions.max_per_grant,
      perGrant: new Map(
        config.grants.flatMap((g) => (g.max_sessions === undefined ? [] : [[g.name, g.max_sessions] as const])),
      ),
    };
    this.parts.live.sessions = () => this.sessions?.size ?? 0;
    this.sessions = new SessionRegistry(sessionLimits, (session) => {
      log.info({ session: session.id, grant: session.grantName }, 'session evicted (idle)');
      this.servers.delete(session.server);
      void session.transport.close().catch(() => {});
    });
    // 2026-era servers live for one request: not tracked, their list_changed goes through the leg.
    this.modern = createModernLeg(
      (grant) => this.newAgentServer(grant, 'modern'),
      {
        inputSchemaOf: (tool) => this.parts.catalogue.resolve(tool)?.tool.inputSchema,
        listenable: (grant, uris) => listenableUris(this.parts, grant, uris),
        taskListen: this.parts.tasks.listen({
          capabilities: () => forwardedCapabilities(this.parts.upstreams),
          listenable: (grant, uris) => listenableUris(this.parts, grant, uris),
          serverInfo: AIRLOCK_SERVER_INFO,
        }),
      },
      log,
    );
    const mcp = createMcpEndpoint({
      auth: new GrantAuthenticator(config.grants),
      sessions: this.sessions,
      maxRequestBytes: config.max_request_bytes,
      bodyTimeoutMs: config.listen.body_timeout,
      createServer: (grant) => this.agentServer(grant, 'legacy'),
      modern: this.modern,
      draining: () => this.draining,
      log,
    });
    const listener = await startListener({
      host: config.listen.host,
      port: config.listen.port,
      limits: config.listen,
      allowedHosts: config.listen.allowed_hosts,
      allowedOrigins: config.listen.allowed_origins,
      log,
      // The web console (src/console): its own pages, API and login under /console/.
      prefixRoutes: {
        '/console': createConsoleRoute({
          ...this.parts,
          redis: this.parts.redisClient,
          prefix: config.redis?.prefix ?? DEFAULT_PREFIX,
          data: consoleData({ ...this.parts, prefix: config.redis?.prefix ?? DEFAULT_PREFIX }),
        }),
      },
      routes: {
        '/mcp': mcp,
        '/healthz': (_req, res) => sendJson(res, 200, { status: 'ok' }),
        '/metrics': (req, res) => this.parts.telemetry.serve(req, res),
        '/readyz': (_req, res) => {
          const readiness = this.readiness();
          sendJson(res, readiness.status === 'ready' ? 200 : 503, readiness);
        },
      },
    });
    this.http = listener.server;
    return { url: listener.url, port: listener.port };
  }

  /** What /readyz answers: ready, or degraded with a reason per part that is not. */
  readiness(): {
    status: 'ready' | 'degraded';
    reasons: string[];
    warnings: string[];
    upstreams: Record<string, UpstreamHealth>;
    redis: string;
    audit: string;
    policy: { files: number; rejected_edits: number };
  } {
    const { upstreams, redisClient, audit } = this.parts;
    const reasons: string[] = [];
    if (this.draining) reasons.push('shutting down: not taking new sessions');
    for (const u of upstreams)
      if (u.state !== 'ready') reasons.push(`upstream ${u.name} is ${u.state}${u.lastError ? `: ${u.lastError}` : ''}`);
    if (redisClient.status !== 'ready') reasons.push(`redis is ${redisClient.status}`);
    for (const collision of this.parts.catalogue.collisions()) reasons.push(collisionMessage(collision));
    // fail_mode "open" serves on without the file: a warning, not a reason to take it out of rotation.
    const warnings: string[] = [];
    if (!audit.healthy) (audit.refusing ? reasons : warnings).push(`audit: ${audit.lastError?.message ?? 'unhealthy'}`);
    // A rejected edit leaves the previous policy in force: still serving as before, so a warning.
    const policy = this.parts.policies.status();
    for (const { file, error } of policy.rejected)
      warnings.push(`policy ${file}: the last edit was rejected (${error}); the previous policy is in force`);
    return {
      status: reasons.length === 0 ? 'ready' : 'degraded',
      reasons,
      warnings,
      upstreams: Object.fromEntries(upstreams.map((u) => [u.name, u.health()])),
      redis: redisClient.status,
      audit: audit.healthy ? 'ok' : (audit.lastError?.message ?? 'unhealthy'),
      policy: { files: policy.files.length, rejected_edits: policy.rejected.length },
    };
  }

  /**
   * Serves one agent over stdio as `grant`, in the era its first message opens (the SDK's
   * `serveStdio`); resolves when the agent disconnects (stdin closed).
   */
  async serveStdio(grant: GrantConfig): Promise<void> {
    const sessionId = `stdio-${randomUUID()}`;
    // notifications/tasks for the agent's listen subscriptions, which the SDK's stdio entry serves itself.
    const transport = new TaskListenTransport(
      new StdioServerTransport(),
      grant.name,
      this.parts.tasks.subscriptions,
      this.parts.log,
    );
    const closed = new Promise<void>((resolve) => {
      process.stdin.once('end', () => resolve());
      process.stdin.once('close', () => resolve());
    });
    // An agent that went away makes our writes fail with EPIPE: that is a disconnect, not a crash.
    process.stdout.on('error', () => {});
    const handle = serveStdio(({ era }) => this.agentServer(grant, era, sessionId), {
      transport,
      onerror: (error) => this.parts.log.debug({ err: error.message }, 'stdio agent error'),
    });
    await closed;
    await handle.close().catch(() => {});
  }

  /**
   * Takes the gateway down, in the order that loses nothing: stop taking new sessions and
   * connections (/readyz says so), held calls answer `pending` (their approvals stay in Redis for
   * the agent's retry, here or elsewhere), calls already sent upstream get up to `graceMs` to
   * answer, then agents, listeners and every part (the audit trail flushed, upstreams closed).
   * Each part gets a bounded time, a short one while Redis is down, so a dead Redis cannot hold
   * the process.
   */
  close(graceMs: number = this.parts.config.shutdown.grace): Promise<void> {
    this.closing ??= (async () => {
      const { log, pipeline } = this.parts;
      this.draining = true;
      const listenerClosed = this.http ? new Promise<void>((resolve) => this.http!.close(() => resolve())) : undefined;
      this.parts.drain.abort();
      const inFlight = pipeline.inFlight;
      const started = Date.now();
      await pipeline.settled(graceMs);
      if (inFlight > 0)
        log.info(
          { in_flight: inFlight, unfinished: pipeline.inFlight, waited_ms: Date.now() - started },
          'shutdown: calls in flight answered (held ones as pending)',
        );
      this.sessions?.close();
      await this.modern?.close().catch(() => {});
      await Promise.all([...this.servers].map((s) => s.close().catch(() => {})));
      if (this.http) {
        this.http.closeAllConnections();
        await listenerClosed;
      }
      for (const closer of this.parts.closers.splice(0).reverse()) {
        const boundMs = this.parts.redisClient.status === 'ready' ? PART_CLOSE_MS : PART_CLOSE_REDIS_DOWN_MS;
        const from = Date.now();
        if ((await closeWithin(closer, boundMs)) === 'late')
          log.warn({ part: closer.name, bound_ms: boundMs }, 'shutdown: part did not close in time; going on');
        else log.debug({ part: closer.name, ms: Date.now() - from }, 'shutdown: part closed');
      }
    })();
    return this.closing;
  }

  /** A server for a connection (2025-era session, stdio): tracked for list_changed and shutdown. */
  private agentServer(grant: GrantConfig, era: Era, stdioSessionId?: string): Server {
    const server = this.newAgentServer(grant, era, stdioSessionId);
    this.servers.add(server);
    server.onclose = () => this.servers.delete(server);
    return server;
  }

  private newAgentServer(grant: GrantConfig, era: Era, stdioSessionId?: string): Server {
    const { catalogue, resources, upstreams, policies, pipeline, rounds, tasks, audit, log } = this.parts;
    return createAgentServer(
      grant,
      { catalogue, resources, upstreams, policies, pipeline, rounds, tasks: tasks.router, audit, log },
      era,
      stdioSessionId,
    );
  }

  private broadcastToolListChanged(): void {
    for (const server of this.servers) void server.sendToolListChanged().catch(() => {});
    this.modern?.toolsChanged();
  }
}
