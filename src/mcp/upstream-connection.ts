import { EventEmitter } from 'node:events';
import type {
  Client,
  ClientOptions,
  ProtocolEra,
  Transport,
  RequestOptions,
  CallToolRequest,
  CallToolResult,
  GetPromptRequest,
  GetPromptResult,
  Prompt,
  Resource,
  ResourceTemplateType,
  ServerCapabilities,
  Tool,
} from '@modelcontextprotocol/client';
import type { UpstreamConfig } from '../config/index.js';
import { CallerRouter, withAgentEnvelope, type AgentChannel } from './agent-channel.js';
import { UpstreamListen } from './upstream-listen.js';
import { carriedTask, UpstreamClient } from './upstream-client.js';
import { formatDuration, AirlockError, describeError, type Logger } from '../shared/index.js';
import {
  createUpstreamTransport,
  describeFailure,
  fetchPrompts,
  fetchResources,
  fetchTools,
  negotiation,
  withoutServerInfo,
  ANY_RESULT,
  type UpstreamHealth,
  type UpstreamState,
} from './upstream-transport.js';

const CLIENT_INFO = { name: 'airlock', version: '0.1.0' };
/** Retry delays after consecutive failures: doubling from 250 ms, then every 30 s. */
const BACKOFF_MS = [250, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000];

export type { UpstreamHealth, UpstreamState } from './upstream-transport.js';

/** A connection that stayed up this long resets the backoff; a crash loop keeps growing it. */
const STABLE_MS = 30_000;

/**
 * One upstream MCP server: keeps a client connected (restarting a dead stdio child or a lost
 * HTTP session with backoff), caches its tool list, and forwards calls without reshaping them.
 * Emits `tools` when its tool list changes and `state` on every state change.
 */
export class UpstreamConnection extends EventEmitter<{
  tools: [Tool[]];
  prompts: [Prompt[]];
  resources: [];
  resourceUpdated: [uri: string];
  state: [UpstreamState];
}> {
  private client: Client | undefined;
  private readonly inputSchemaOf = (tool: string): unknown => this.tools.find((t) => t.name === tool)?.inputSchema;
  /** The 2025-era session beside a 2026-era main connection (HTTP upstreams that speak both). */
  private twin: Client | undefined;
  private twinConnecting = false;
  private readonly listen: UpstreamListen;
  private attempt = 0;
  private retryAt = 0;
  private readyAt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private ready: Promise<void>;
  private markReady!: () => void;
  state: UpstreamState = 'connecting';
  tools: Tool[] = [];
  prompts: Prompt[] = [];
  resources: Resource[] = [];
  resourceTemplates: ResourceTemplateType[] = [];
  /** What the live connection's server offers (undefined while it is down). */
  capabilities: ServerCapabilities | undefined;
  lastError: string | undefined;
  /** The agent requests this upstream is serving now: where its mid-call requests and logs go. */
  private readonly callers: CallerRouter;
  /** The era of the live connection; re-negotiated on every reconnect (an upgraded server is noticed). */
  era: ProtocolEra | undefined;

  /** A stdio child is this process's own; an HTTP server is shared by every Airlock process. */
  get processLocal(): boolean {
    return !('url' in this.config);
  }

  constructor(
    readonly name: string,
    private readonly config: UpstreamConfig,
    private readonly log: Logger,
  ) {
    super();
    this.callers = new CallerRouter(name, log);
    this.listen = new UpstreamListen(name, log);
    this.ready = new Promise((resolve) => (this.markReady = resolve));
  }

  /**
   * Starts connecting (failures reconnect on their own, with backoff) and resolves once the first
   * attempt has ended, either way, or after `timeoutMs` for a slow upstream: one upstream that
   * cannot start never holds up the others. `state` and `lastError` tell how it went.
   */
  async start(timeoutMs = 30_000): Promise<void> {
    const firstAttempt = this.connect();
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.log.warn(
          { upstream: this.name, after_ms: timeoutMs },
          `upstream ${this.name} has not answered within ${timeoutMs} ms; serving without it until it does`,
        );
        resolve();
      }, timeoutMs);
    });
    try {
      await Promise.race([firstAttempt, slow]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves when the upstream is ready (for callers that need it, e.g. `airlock check`). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** For /readyz: what state it is in and, when down, why and when the next attempt is. */
  health(): UpstreamHealth {
    return {
      state: this.state,
      ...(this.era === undefined || this.state !== 'ready' ? {} : { era: this.era }),
      ...(this.lastError === undefined || this.state === 'ready' ? {} : { error: this.lastError }),
      ...(this.state === 'down' ? { attempts: this.attempt, retry_at: new Date(this.retryAt).toISOString() } : {}),
    };
  }

  async close(): Promise<void> {
    this.setState('closed');
    clearTimeout(this.retryTimer);
    await this.listen.close();
    await this.twin?.close().catch(() => {});
    await this.client?.close().catch(() => {});
  }

  /** Forward a tools/call as-is: `request`, not `callTool`, so results pass through unvalidated. */
  async callTool(
    params: CallToolRequest['params'],
    options: RequestOptions,
    channel?: AgentChannel,
  ): Promise<CallToolResult> {
    const timeout = this.config.call_timeout;
    return (await this.forward(
      'tools/call',
      params,
      { timeout, maxTotalTimeout: timeout, ...options },
      channel,
    )) as never;
  }

  /** Forward a prompts/get as-is. */
  async getPrompt(
    params: GetPromptRequest['params'],
    options: RequestOptions,
    channel?: AgentChannel,
  ): Promise<GetPromptResult> {
    return (await this.forward('prompts/get', params, options, channel)) as never;
  }

  /**
   * Forward a request the agent made as-is: its params and the upstream's answer or JSON-RPC error
   * pass through untouched. To a 2026-era upstream the request carries the agent's own client
   * capabilities (so the upstream asks only for what the agent can give), and an `input_required`
   * answer comes back as it is, for the agent to fulfil (never fulfilled by Airlock itself).
   */
  async forward(
    method: string,
    params: Record<string, unknown>,
    options: RequestOptions,
    channel?: AgentChannel,
  ): Promise<Record<string, unknown>> {
    const client = this.clientFor(channel);
    if (this.state !== 'ready' || client === undefined) {
      throw new AirlockError(
        'upstream_unavailable',
        `upstream "${this.name}" is ${this.state === 'closed' ? 'shut down' : 'restarting'}${this.lastError ? ` (${this.lastError})` : ''}`,
      );
    }
    const modern = client.getProtocolEra() === 'modern';
    const sent = modern && channel !== undefined ? withAgentEnvelope(params, channel) : params;
    const request = { method, params: sent } as never;
    // Methods outside the core spec (the tasks extension's) need a result schema of their own; a
    // tools/call result is validated once, by the agent-facing server, not here a first time too.
    const answer = this.callers.serving(channel, () =>
      method.startsWith('tasks/') || method === 'tools/call'
        ? client.request(request, ANY_RESULT, { allowInputRequired: true, ...options })
        : client.request(request, { allowInputRequired: true, ...options }),
    );
    const result = (await answer) as Record<string, unknown>;
    const passed = carriedTask(result) ?? result;
    return modern ? withoutServerInfo(passed) : passed;
  }

  /**
   * Subscribes to an upstream resource for the agents: resources/subscribe in the 2025 era, the
   * listen stream's filter in 2026-07-28 (its updates arrive as `resourceUpdated` either way).
   */
  async subscribeResource(uri: string, options: RequestOptions, channel?: AgentChannel): Promise<void> {
    if (this.clientFor(channel)?.getProtocolEra() === 'modern') return this.listen.subscribe(uri);
    await this.forward('resources/subscribe', { uri }, options, channel);
  }

  /**
   * The client for an agent's request: a 2025-era agent's goes over the 2025-era twin when the
   * upstream speaks both eras (it keeps push-style sampling, subscriptions and logging levels),
   * everything else over the main connection.
   */
  private clientFor(channel: AgentChannel | undefined): Client | undefined {
    if (channel?.era !== 'legacy' || this.era !== 'modern' || !('url' in this.config)) return this.client;
    if (this.twin === undefined && this.state === 'ready') void this.connectTwin();
    return this.twin ?? this.client;
  }

  /** A client with our capabilities, the agent-request router and the notification handlers. */
  private newClient(options: Pick<ClientOptions, 'versionNegotiation'>): Client {
    // Declared so upstreams may ask; each ask goes to the calling agent, refused if it cannot answer.
    const client = new UpstreamClient(CLIENT_INFO, {
      capabilities: { sampling: {}, elicitation: { form: {}, url: {} }, roots: {} },
      ...options,
    });
    this.callers.attach(client);
    client.onerror = (error) =>
      this.log.debug({ upstream: this.name, err: describeError(error) }, 'upstream transport error');
    const refresh = (what: string, run: () => Promise<void>) => () =>
      void run().catch((error) =>
        this.log.warn({ upstream: this.name, err: describeError(error) }, `could not re-list upstream ${what}`),
      );
    // Lists are always read over the main connection, whichever connection said they changed.
    const main = () => this.client ?? client;
    client.setNotificationHandler(
      'notifications/tools/list_changed',
      refresh('tools', () => this.refreshTools(main())),
    );
    client.setNotificationHandler(
      'notifications/prompts/list_changed',
      refresh('prompts', () => this.refreshPrompts(main())),
    );
    client.setNotificationHandler(
      'notifications/resources/list_changed',
      refresh('resources', () => this.refreshResources(main())),
    );
    client.setNotificationHandler('notifications/resources/updated', (notification) => {
      this.emit('resourceUpdated', notification.params.uri);
    });
    return client;
  }

  private async connect(): Promise<void> {
    if (this.state === 'closed') return;
    this.setState('connecting');
    const client = this.newClient(negotiation(this.config));
    let transport: Transport;
    try {
      transport = createUpstreamTransport(this.name, this.config, this.log, this.inputSchemaOf);
    } catch (error) {
      return this.onDisconnected(client, describeFailure(this.config, error));
    }
    // onclose fires for a failed start too (after the catch below): one disconnect per client.
    let gone = false;
    const disconnected = (reason: string) => {
      if (gone) return;
      gone = true;
      this.onDisconnected(client, reason);
    };
    client.onclose = () => disconnected('connection closed');
    try {
      await client.connect(transport);
      if (this.isClosed()) return void client.close();
      this.client = client;
      this.era = client.getProtocolEra();
      this.capabilities = client.getServerCapabilities();
      await this.refreshTools(client);
      await this.refreshPrompts(client);
      await this.refreshResources(client);
      this.lastError = undefined;
      this.readyAt = Date.now();
      this.setState('ready');
      this.log.info(
        { upstream: this.name, era: this.era, tools: this.tools.length, after_attempts: this.attempt },
        'upstream connected',
      );
      this.markReady();
      if (this.era === 'modern') await this.openModernExtras(client);
    } catch (error) {
      const reason = describeFailure(this.config, error);
      this.client = undefined;
      disconnected(reason);
      await client.close().catch(() => {});
    }
  }

  /** The listen stream of a 2026-era connection, and its 2025-era twin over HTTP. */
  private async openModernExtras(client: Client): Promise<void> {
    if ('url' in this.config) void this.connectTwin();
    await this.listen
      .open(client, this.capabilities)
      .catch((error) =>
        this.log.warn({ upstream: this.name, err: describeError(error) }, 'could not open the upstream listen stream'),
      );
  }

  /**
   * A 2025-era session to an HTTP upstream that answered in 2026-07-28, for 2025-era agents. A
   * server that speaks only 2026-07-28 refuses it; its 2025-era agents then go over the main
   * connection, the SDK turning its input_required rounds into push requests to them.
   */
  private async connectTwin(): Promise<void> {
    if (this.twinConnecting) return;
    this.twinConnecting = true;
    const twin = this.newClient({});
    twin.onclose = () => {
      if (this.twin === twin) this.twin = undefined;
    };
    try {
      await twin.connect(createUpstreamTransport(this.name, this.config, this.log, this.inputSchemaOf));
      if (this.state !== 'ready' || twin.getProtocolEra() !== 'legacy') return void twin.close();
      this.twin = twin;
      this.log.info({ upstream: this.name }, 'upstream also speaks 2025-11-25: 2025-era agents use that session');
    } catch (error) {
      this.log.info(
        { upstream: this.name, err: describeError(error) },
        'upstream speaks only 2026-07-28: 2025-era agents are served over it',
      );
      await twin.close().catch(() => {});
    } finally {
      this.twinConnecting = false;
    }
  }

  private onDisconnected(client: Client, reason: string): void {
    if (this.client !== undefined && this.client !== client) return;
    this.client = undefined;
    void this.twin?.close().catch(() => {});
    this.twin = undefined;
    void this.listen.close();
    if (this.state === 'closed') return;
    const wasReady = this.state === 'ready';
    if (wasReady && Date.now() - this.readyAt >= STABLE_MS) this.attempt = 0;
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)]!;
    this.attempt += 1;
    this.lastError = reason;
    this.retryAt = Date.now() + delay;
    this.setState('down');
    const fields = { upstream: this.name, reason, retry_in_ms: delay, attempt: this.attempt };
    // The first failure of a start is an error a person must see; later ones are the retries.
    if (!wasReady && this.attempt === 1)
      this.log.error(fields, `upstream ${this.name}: ${reason}; retrying in ${formatDuration(delay)}`);
    else
      this.log.warn(
        fields,
        `upstream ${this.name} ${wasReady ? 'went down' : 'still failing'}: ${reason}; retrying in ${formatDuration(delay)}`,
      );
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  private async refreshResources(client: Client): Promise<void> {
    if (client.getServerCapabilities()?.resources === undefined) return;
    ({ resources: this.resources, templates: this.resourceTemplates } = await fetchResources(client));
    this.emit('resources');
  }

  private async refreshPrompts(client: Client): Promise<void> {
    if (client.getServerCapabilities()?.prompts === undefined) return;
    const prompts = await fetchPrompts(client);
    const changed = JSON.stringify(prompts) !== JSON.stringify(this.prompts);
    this.prompts = prompts;
    if (changed) this.emit('prompts', prompts);
  }

  private async refreshTools(client: Client): Promise<void> {
    const tools = await fetchTools(client);
    const changed = JSON.stringify(tools) !== JSON.stringify(this.tools);
    this.tools = tools;
    if (changed) this.emit('tools', tools);
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private setState(state: UpstreamState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }
}
