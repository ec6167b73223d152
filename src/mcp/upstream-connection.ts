import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type {
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
import { CallerRouter, type AgentChannel } from './agent-channel.js';
import { formatDuration, AirlockError, describeError, type Logger } from '../shared/index.js';

const CLIENT_INFO = { name: 'airlock', version: '0.1.0' };
/** Retry delays after consecutive failures: doubling from 250 ms, then every 30 s. */
const BACKOFF_MS = [250, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000];

export type UpstreamState = 'connecting' | 'ready' | 'down' | 'closed';

export interface UpstreamHealth {
  state: UpstreamState;
  /** The era the live connection negotiated (2025-era `legacy`, 2026-07-28 `modern`). */
  era?: ProtocolEra;
  error?: string;
  /** Failed attempts in a row. */
  attempts?: number;
  retry_at?: string;
}

/** How long a server/discover probe may take before a stdio upstream counts as 2025-era. */
const PROBE_TIMEOUT_MS = 5_000;

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

  constructor(
    readonly name: string,
    private readonly config: UpstreamConfig,
    private readonly log: Logger,
  ) {
    super();
    this.callers = new CallerRouter(name, log);
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
    await this.client?.close().catch(() => {});
  }

  /** Forward a tools/call as-is: `request`, not `callTool`, so results pass through unvalidated. */
  async callTool(
    params: CallToolRequest['params'],
    options: RequestOptions,
    channel?: AgentChannel,
  ): Promise<CallToolResult> {
    const client = this.client;
    if (this.state !== 'ready' || client === undefined) {
      throw new AirlockError(
        'upstream_unavailable',
        `upstream "${this.name}" is ${this.state === 'closed' ? 'shut down' : 'restarting'}${this.lastError ? ` (${this.lastError})` : ''}`,
      );
    }
    const timeout = this.config.call_timeout;
    return this.callers.serving(channel, () =>
      client.request({ method: 'tools/call', params }, { timeout, maxTotalTimeout: timeout, ...options }),
    );
  }

  private async connect(): Promise<void> {
    if (this.state === 'closed') return;
    this.setState('connecting');
    // Declared so upstreams may ask; each ask goes to the calling agent, refused if it cannot answer.
    const client = new Client(CLIENT_INFO, {
      capabilities: { sampling: {}, elicitation: { form: {}, url: {} }, roots: {} },
      ...this.negotiation(),
    });
    this.callers.attach(client);
    let transport: Transport;
    try {
      transport = this.createTransport();
    } catch (error) {
      return this.onDisconnected(client, this.describeFailure(error));
    }
    // onclose fires for a failed start too (after the catch below): one disconnect per client.
    let gone = false;
    const disconnected = (reason: string) => {
      if (gone) return;
      gone = true;
      this.onDisconnected(client, reason);
    };
    client.onclose = () => disconnected('connection closed');
    client.onerror = (error) =>
      this.log.debug({ upstream: this.name, err: describeError(error) }, 'upstream transport error');
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      void this.refreshTools(client).catch((error) =>
        this.log.warn({ upstream: this.name, err: describeError(error) }, 'could not re-list upstream tools'),
      );
    });
    client.setNotificationHandler('notifications/prompts/list_changed', () => {
      void this.refreshPrompts(client).catch((error) =>
        this.log.warn({ upstream: this.name, err: describeError(error) }, 'could not re-list upstream prompts'),
      );
    });
    client.setNotificationHandler('notifications/resources/list_changed', () => {
      void this.refreshResources(client).catch((error) =>
        this.log.warn({ upstream: this.name, err: describeError(error) }, 'could not re-list upstream resources'),
      );
    });
    client.setNotificationHandler('notifications/resources/updated', (notification) => {
      this.emit('resourceUpdated', notification.params.uri);
    });
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
    } catch (error) {
      const reason = this.describeFailure(error);
      this.client = undefined;
      disconnected(reason);
      await client.close().catch(() => {});
    }
  }

  /** The `protocol` setting as the SDK's version negotiation. */
  private negotiation(): Pick<ClientOptions, 'versionNegotiation'> {
    switch (this.config.protocol) {
      case '2025-11-25':
        return {};
      case '2026-07-28':
        return { versionNegotiation: { mode: { pin: '2026-07-28' } } };
      case 'auto':
        // A stdio server that ignores an unknown first request is legacy after this long.
        return { versionNegotiation: { mode: 'auto', probe: { timeoutMs: PROBE_TIMEOUT_MS } } };
    }
  }

  /** "command mcp-servr-typo not found (ENOENT)" rather than "spawn mcp-servr-typo ENOENT". */
  private describeFailure(error: unknown): string {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if ('command' in this.config) {
      const { command, cwd } = this.config;
      if (code === 'ENOENT') {
        return cwd !== undefined && !existsSync(cwd)
          ? `working directory ${cwd} does not exist (ENOENT)`
          : `command ${command} not found (ENOENT)`;
      }
      if (code === 'EACCES') return `command ${command} is not executable (EACCES)`;
    }
    return describeError(error);
  }

  private createTransport(): Transport {
    const config = this.config;
    if ('command' in config) {
      const transport = new StdioClientTransport({
        command: config.command,
        args: config.args,
        // The SDK passes only a handful of variables to the child; PATH and friends come from it.
        env: { ...inheritedEnv(), ...config.env },
        ...(config.cwd !== undefined ? { cwd: config.cwd } : {}),
        stderr: 'pipe',
      });
      transport.stderr?.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (line.trim()) this.log.debug({ upstream: this.name, stderr: line }, 'upstream stderr');
        }
      });
      return transport;
    }
    return new StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers: config.headers } });
  }

  private onDisconnected(client: Client, reason: string): void {
    if (this.client !== undefined && this.client !== client) return;
    this.client = undefined;
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

  /** Forward a prompts/get as-is. Prompts are read-only templates: no policy applies to them. */
  async getPrompt(
    params: GetPromptRequest['params'],
    options: RequestOptions,
    channel?: AgentChannel,
  ): Promise<GetPromptResult> {
    const client = this.client;
    if (this.state !== 'ready' || client === undefined) {
      throw new AirlockError(
        'upstream_unavailable',
        `upstream "${this.name}" is ${this.state === 'closed' ? 'shut down' : 'restarting'}`,
      );
    }
    return this.callers.serving(channel, () => client.request({ method: 'prompts/get', params }, options));
  }

  /**
   * Forward a request the agent made (resources/read, subscribe, completion/complete, …) as-is:
   * its params and the upstream's answer or JSON-RPC error pass through untouched.
   */
  async forward(
    method: string,
    params: Record<string, unknown>,
    options: RequestOptions,
    channel?: AgentChannel,
  ): Promise<Record<string, unknown>> {
    const client = this.client;
    if (this.state !== 'ready' || client === undefined) {
      throw new AirlockError(
        'upstream_unavailable',
        `upstream "${this.name}" is ${this.state === 'closed' ? 'shut down' : 'restarting'}`,
      );
    }
    return (await this.callers.serving(channel, () => client.request({ method, params } as never, options))) as Record<
      string,
      unknown
    >;
  }

  private async refreshResources(client: Client): Promise<void> {
    if (client.getServerCapabilities()?.resources === undefined) return;
    this.resources = await listAll((cursor) =>
      client
        .listResources(cursor === undefined ? {} : { cursor })
        .then((p) => ({ items: p.resources, nextCursor: p.nextCursor })),
    );
    this.resourceTemplates = await listAll((cursor) =>
      client
        .listResourceTemplates(cursor === undefined ? {} : { cursor })
        .then((p) => ({ items: p.resourceTemplates, nextCursor: p.nextCursor })),
    );
    this.emit('resources');
  }

  private async refreshPrompts(client: Client): Promise<void> {
    if (client.getServerCapabilities()?.prompts === undefined) return;
    const prompts = await listAll((cursor) =>
      client
        .listPrompts(cursor === undefined ? {} : { cursor })
        .then((p) => ({ items: p.prompts, nextCursor: p.nextCursor })),
    );
    const changed = JSON.stringify(prompts) !== JSON.stringify(this.prompts);
    this.prompts = prompts;
    if (changed) this.emit('prompts', prompts);
  }

  private async refreshTools(client: Client): Promise<void> {
    const tools = await listAll((cursor) =>
      client
        .listTools(cursor === undefined ? {} : { cursor })
        .then((p) => ({ items: p.tools, nextCursor: p.nextCursor })),
    );
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

/** What a stdio upstream inherits from us: enough to find its interpreter, nothing secret. */
function inheritedEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TERM', 'LANG', 'TMPDIR', 'SYSTEMROOT'];
  return Object.fromEntries(keep.flatMap((key) => (process.env[key] === undefined ? [] : [[key, process.env[key]!]])));
}

/** Every page of a paginated MCP list. */
async function listAll<T>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor?: string | undefined }>,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const next = await page(cursor);
    items.push(...next.items);
    cursor = next.nextCursor;
  } while (cursor !== undefined);
  return items;
}
