import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CLIENT_CAPABILITIES_META_KEY,
  ProtocolErrorCode,
  SERVER_INFO_META_KEY,
  SUBSCRIPTION_ID_META_KEY,
  type ServerCapabilities,
} from '@modelcontextprotocol/server';
import type { GrantConfig } from '../config/index.js';
import { sendJson } from '../http/index.js';
import { HEADER_MISMATCH_CODE } from './param-headers.js';
import type { HonouredTasks, TaskSubscriptions } from './task-subscriptions.js';
import { TASKS_EXTENSION } from './upstream-tasks.js';

/** What a listen stream may be told besides tasks (the SDK's four subscription-gated kinds). */
export type ListenEvent = { kind: 'tools' | 'prompts' | 'resources' } | { kind: 'resource'; uri: string };

interface Filter {
  toolsListChanged?: true;
  promptsListChanged?: true;
  resourcesListChanged?: true;
  resourceSubscriptions?: string[];
  taskIds?: string[];
}

export interface ListenMessage {
  id: string | number;
  params: { notifications: Record<string, unknown>; _meta?: Record<string, unknown> };
}

export interface TaskListenDeps {
  subscriptions: TaskSubscriptions;
  /** What the agent-facing server offers (resources: only when an upstream has them). */
  capabilities: () => ServerCapabilities;
  /** The resource URIs of the filter the grant may see (as for the SDK's own listen streams). */
  listenable: (grant: GrantConfig, uris: readonly string[]) => string[];
  serverInfo: { name: string; version: string };
  keepAliveMs?: number;
}

const KEEPALIVE_MS = 15_000;

/** Whether a 2026-era body is a `subscriptions/listen` that names task ids (ours to serve). */
export function isTaskListen(body: unknown): body is ListenMessage {
  const message = body as { method?: unknown; params?: { notifications?: { taskIds?: unknown } } } | null;
  return message?.method === 'subscriptions/listen' && Array.isArray(message.params?.notifications?.taskIds);
}

/**
 * `subscriptions/listen` streams that ask for `notifications/tasks` (the tasks extension): the
 * SDK's listen router knows only list changes and resource updates, so a listen naming task ids
 * is served here whole: the grant's tasks among them (approval tasks and upstream tasks, see
 * task-subscriptions.ts), next to the list changes it asked for.
 */
export class TaskListen {
  private readonly streams = new Set<Stream>();

  constructor(private readonly deps: TaskListenDeps) {}

  async serve(req: IncomingMessage, res: ServerResponse, grant: GrantConfig, message: ListenMessage): Promise<void> {
    const refused = refusal(req, message);
    if (refused !== undefined) return sendJson(res, refused.status, refused.body);
    const { filter, tasks } = await this.honoured(grant, message.params.notifications);
    const stream = new Stream(res, message.id, filter);
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    stream.notify('notifications/subscriptions/acknowledged', { notifications: filter });
    if (Object.keys(filter).length === 0) return stream.end(this.deps.serverInfo);
    this.streams.add(stream);
    const capabilities = message.params._meta?.[CLIENT_CAPABILITIES_META_KEY];
    const stopWatching = this.deps.subscriptions.watch(stream, tasks, capabilities);
    const keepAlive = setInterval(() => stream.write(': keepalive\n\n'), this.deps.keepAliveMs ?? KEEPALIVE_MS);
    res.once('close', () => {
      clearInterval(keepAlive);
      stopWatching();
      this.streams.delete(stream);
    });
  }

  /** A list change or resource update, to the streams whose filter asked for it. */
  publish(event: ListenEvent): void {
    for (const stream of this.streams) {
      const f = stream.filter;
      if (event.kind === 'tools' && f.toolsListChanged) stream.notify('notifications/tools/list_changed', {});
      if (event.kind === 'prompts' && f.promptsListChanged) stream.notify('notifications/prompts/list_changed', {});
      if (event.kind === 'resources' && f.resourcesListChanged)
        stream.notify('notifications/resources/list_changed', {});
      if (event.kind === 'resource' && f.resourceSubscriptions?.includes(event.uri))
        stream.notify('notifications/resources/updated', { uri: event.uri });
    }
  }

  /** Ends every stream gracefully (shutdown). */
  close(): void {
    for (const stream of this.streams) stream.end(this.deps.serverInfo);
    this.streams.clear();
  }

  /** The filter as far as it is honoured: what is offered, and the task ids that are this grant's tasks. */
  private async honoured(
    grant: GrantConfig,
    requested: Record<string, unknown>,
  ): Promise<{ filter: Filter; tasks: HonouredTasks }> {
    const offered = this.deps.capabilities();
    const filter: Filter = {};
    if (requested['toolsListChanged'] === true) filter.toolsListChanged = true;
    if (requested['promptsListChanged'] === true) filter.promptsListChanged = true;
    if (requested['resourcesListChanged'] === true && offered.resources?.listChanged)
      filter.resourcesListChanged = true;
    const uris = strings(requested['resourceSubscriptions']);
    if (uris.length > 0 && offered.resources?.subscribe) {
      const allowed = this.deps.listenable(grant, uris);
      if (allowed.length > 0) filter.resourceSubscriptions = allowed;
    }
    const tasks = await this.deps.subscriptions.honour(grant.name, strings(requested['taskIds']));
    if (tasks.size > 0) filter.taskIds = [...tasks.keys()];
    return { filter, tasks };
  }
}

/** One open listen stream: its honoured filter, and SSE frames stamped with its subscription id. */
class Stream {
  constructor(
    private readonly res: ServerResponse,
    readonly id: string | number,
    readonly filter: Filter,
  ) {}

  write(frame: string): void {
    if (!this.res.writableEnded) this.res.write(frame);
  }

  notify(method: string, params: Record<string, unknown>): void {
    const meta = { ...(params['_meta'] as Record<string, unknown> | undefined), [SUBSCRIPTION_ID_META_KEY]: this.id };
    const message = { jsonrpc: '2.0', method, params: { ...params, _meta: meta } };
    this.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }

  /** The graceful close: the listen request's result, then the end of the stream. */
  end(serverInfo: { name: string; version: string }): void {
    const result = {
      resultType: 'complete',
      _meta: { [SUBSCRIPTION_ID_META_KEY]: this.id, [SERVER_INFO_META_KEY]: serverInfo },
    };
    this.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: this.id, result })}\n\n`);
    if (!this.res.writableEnded) this.res.end();
  }
}

/** The checks the SDK would make on this request (headers, the extension), as its JSON-RPC answer. */
function refusal(req: IncomingMessage, message: ListenMessage): { status: number; body: unknown } | undefined {
  const method = req.headers['mcp-method'];
  if (method !== 'subscriptions/listen')
    return {
      status: 400,
      body: {
        jsonrpc: '2.0',
        id: message.id ?? null,
        error: {
          code: HEADER_MISMATCH_CODE,
          message: `Bad Request: the Mcp-Method header (${String(method)}) is not subscriptions/listen`,
        },
      },
    };
  const missing = missingTasksExtension(message);
  return missing === undefined ? undefined : { status: 200, body: missing };
}

/** The spec's error for a listen naming task ids without the tasks extension declared (any transport). */
export function missingTasksExtension(message: ListenMessage) {
  const capabilities = message.params._meta?.[CLIENT_CAPABILITIES_META_KEY] as
    { extensions?: Record<string, unknown> } | undefined;
  if (capabilities?.extensions?.[TASKS_EXTENSION] !== undefined) return undefined;
  return {
    jsonrpc: '2.0' as const,
    id: message.id ?? null,
    error: {
      code: ProtocolErrorCode.MissingRequiredClientCapability,
      message: 'Missing required client capability: task notifications need the tasks extension',
      data: { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
    },
  };
}

export function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
