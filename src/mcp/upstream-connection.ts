import { EventEmitter } from 'node:events';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolResultSchema,
  GetPromptResultSchema,
  PromptListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
  type CallToolRequest,
  type CallToolResult,
  type GetPromptRequest,
  type GetPromptResult,
  type Prompt,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { UpstreamConfig } from '../config/schema.js';
import { AirlockError, describeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

const CLIENT_INFO = { name: 'airlock', version: '0.1.0' };
const BACKOFF_MS = [250, 500, 1_000, 2_000, 5_000, 10_000, 30_000];

export type UpstreamState = 'connecting' | 'ready' | 'down' | 'closed';

/**
 * One upstream MCP server: keeps a client connected (restarting a dead stdio child or a lost
 * HTTP session with backoff), caches its tool list, and forwards calls without reshaping them.
 * Emits `tools` when its tool list changes and `state` on every state change.
 */
export class UpstreamConnection extends EventEmitter<{ tools: [Tool[]]; prompts: [Prompt[]]; state: [UpstreamState] }> {
  private client: Client | undefined;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private ready: Promise<void>;
  private markReady!: () => void;
  state: UpstreamState = 'connecting';
  tools: Tool[] = [];
  prompts: Prompt[] = [];
  lastError: string | undefined;

  constructor(
    readonly name: string,
    private readonly config: UpstreamConfig,
    private readonly log: Logger,
  ) {
    super();
    this.ready = new Promise((resolve) => (this.markReady = resolve));
  }

  /** Connects once; later failures reconnect on their own. Resolves when the first connection is up. */
  async start(timeoutMs = 30_000): Promise<void> {
    void this.connect();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new AirlockError('upstream_unavailable', `upstream "${this.name}" did not start within ${timeoutMs} ms: ${this.lastError ?? 'no answer'}`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.ready, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.setState('closed');
    clearTimeout(this.retryTimer);
    await this.client?.close().catch(() => {});
  }

  /** Forward a tools/call as-is: `request`, not `callTool`, so results pass through unvalidated. */
  async callTool(params: CallToolRequest['params'], options: RequestOptions): Promise<CallToolResult> {
    const client = this.client;
    if (this.state !== 'ready' || client === undefined) {
      throw new AirlockError('upstream_unavailable', `upstream "${this.name}" is ${this.state === 'closed' ? 'shut down' : 'restarting'}${this.lastError ? ` (${this.lastError})` : ''}`);
    }
    const timeout = this.config.call_timeout;
    return client.request({ method: 'tools/call', params }, CallToolResultSchema, { timeout, maxTotalTimeout: timeout, ...options });
  }

  private async connect(): Promise<void> {
    if (this.state === 'closed') return;
    this.setState('connecting');
    const client = new Client(CLIENT_INFO, { capabilities: {} });
    const transport = this.createTransport();
    client.onclose = () => this.onDisconnected(client, 'connection closed');
    client.onerror = (error) => this.log.debug({ upstream: this.name, err: describeError(error) }, 'upstream transport error');
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      void this.refreshTools(client).catch((error) => this.log.warn({ upstream: this.name, err: describeError(error) }, 'could not re-list upstream tools'));
    });
    client.setNotificationHandler(PromptListChangedNotificationSchema, () => {
      void this.refreshPrompts(client).catch((error) => this.log.warn({ upstream: this.name, err: describeError(error) }, 'could not re-list upstream prompts'));
    });
    try {
      await client.connect(transport);
      if (this.isClosed()) return void client.close();
      this.client = client;
      await this.refreshTools(client);
      await this.refreshPrompts(client);
      this.attempt = 0;
      this.lastError = undefined;
      this.setState('ready');
      this.log.info({ upstream: this.name, tools: this.tools.length }, 'upstream connected');
      this.markReady();
    } catch (error) {
      this.lastError = describeError(error);
      await client.close().catch(() => {});
      this.onDisconnected(client, this.lastError);
    }
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
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)]!;
    this.attempt += 1;
    this.lastError = reason;
    this.setState('down');
    this.log.warn({ upstream: this.name, reason, retry_in_ms: delay, attempt: this.attempt }, 'upstream down; restarting');
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  /** Forward a prompts/get as-is. Prompts are read-only templates: no policy applies to them. */
  async getPrompt(params: GetPromptRequest['params'], options: RequestOptions): Promise<GetPromptResult> {
    const client = this.client;
    if (this.state !== 'ready' || client === undefined) {
      throw new AirlockError('upstream_unavailable', `upstream "${this.name}" is ${this.state === 'closed' ? 'shut down' : 'restarting'}`);
    }
    return client.request({ method: 'prompts/get', params }, GetPromptResultSchema, options);
  }

  private async refreshPrompts(client: Client): Promise<void> {
    if (client.getServerCapabilities()?.prompts === undefined) return;
    const prompts = await listAll((cursor) => client.listPrompts(cursor === undefined ? {} : { cursor }).then((p) => ({ items: p.prompts, nextCursor: p.nextCursor })));
    const changed = JSON.stringify(prompts) !== JSON.stringify(this.prompts);
    this.prompts = prompts;
    if (changed) this.emit('prompts', prompts);
  }

  private async refreshTools(client: Client): Promise<void> {
    const tools = await listAll((cursor) => client.listTools(cursor === undefined ? {} : { cursor }).then((p) => ({ items: p.tools, nextCursor: p.nextCursor })));
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
async function listAll<T>(page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor?: string | undefined }>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const next = await page(cursor);
    items.push(...next.items);
    cursor = next.nextCursor;
  } while (cursor !== undefined);
  return items;
}
