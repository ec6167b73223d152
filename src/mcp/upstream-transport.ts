import { existsSync } from 'node:fs';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import {
  PROTOCOL_VERSION_META_KEY,
  SERVER_INFO_META_KEY,
  StreamableHTTPClientTransport,
  type Client,
  type ClientOptions,
  type ProtocolEra,
  type Prompt,
  type Resource,
  type ResourceTemplateType,
  type Tool,
  type Transport,
} from '@modelcontextprotocol/client';
import type { UpstreamConfig } from '../config/index.js';
import { describeError, type Logger } from '../shared/index.js';
import { paramHeaderDeclarations, paramHeaders } from './param-headers.js';
import { z } from 'zod';

/** How long a server/discover probe may take before a stdio upstream counts as 2025-era. */
const PROBE_TIMEOUT_MS = 5_000;

/**
 * The transport to one upstream: a stdio child (its stderr into our debug log) or Streamable HTTP,
 * whose 2026-era tools/call requests get the `Mcp-Param-*` headers their tool declares
 * (`inputSchemaOf` gives the upstream's own schema for its own tool name).
 */
export function createUpstreamTransport(
  name: string,
  config: UpstreamConfig,
  log: Logger,
  inputSchemaOf: (tool: string) => unknown = () => undefined,
): Transport {
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
        if (line.trim()) log.debug({ upstream: name, stderr: line }, 'upstream stderr');
      }
    });
    return transport;
  }
  return new StreamableHTTPClientTransport(new URL(config.url), {
    requestInit: { headers: config.headers },
    fetch: withParamHeaders(inputSchemaOf),
  });
}

/**
 * A fetch that adds `Mcp-Param-*` headers to a 2026-era tools/call (one request per POST in that
 * era), and the W3C `traceparent`/`tracestate` headers of a tools/call that carries them in
 * `_meta` (Airlock's upstream span, when tracing is on), so an HTTP upstream's own HTTP
 * instrumentation joins the trace too.
 */
function withParamHeaders(inputSchemaOf: (tool: string) => unknown): typeof fetch {
  return (input, init) => {
    if (typeof init?.body !== 'string' || !init.body.includes('"tools/call"')) return fetch(input, init);
    let message: {
      method?: unknown;
      params?: { name?: unknown; arguments?: unknown; _meta?: Record<string, unknown> };
    };
    try {
      message = JSON.parse(init.body) as typeof message;
    } catch {
      return fetch(input, init);
    }
    if (message.method !== 'tools/call' || typeof message.params?.name !== 'string') return fetch(input, init);
    const meta = message.params._meta;
    const added: Record<string, string> = {};
    for (const key of ['traceparent', 'tracestate'] as const)
      if (typeof meta?.[key] === 'string') added[key] = meta[key];
    const modern = meta !== undefined && PROTOCOL_VERSION_META_KEY in meta;
    if (modern)
      Object.assign(
        added,
        paramHeaders(paramHeaderDeclarations(inputSchemaOf(message.params.name)), message.params.arguments),
      );
    if (Object.keys(added).length === 0) return fetch(input, init);
    const headers = new Headers(init.headers);
    for (const [header, value] of Object.entries(added)) headers.set(header, value);
    return fetch(input, { ...init, headers });
  };
}

/** The `protocol` setting as the SDK's version negotiation. */
export function negotiation(config: UpstreamConfig): Pick<ClientOptions, 'versionNegotiation'> {
  switch (config.protocol) {
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
export function describeFailure(config: UpstreamConfig, error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if ('command' in config) {
    const { command, cwd } = config;
    if (code === 'ENOENT') {
      return cwd !== undefined && !existsSync(cwd)
        ? `working directory ${cwd} does not exist (ENOENT)`
        : `command ${command} not found (ENOENT)`;
    }
    if (code === 'EACCES') return `command ${command} is not executable (EACCES)`;
  }
  return describeError(error);
}

/** What a stdio upstream inherits from us: enough to find its interpreter, nothing secret. */
function inheritedEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TERM', 'LANG', 'TMPDIR', 'SYSTEMROOT'];
  return Object.fromEntries(keep.flatMap((key) => (process.env[key] === undefined ? [] : [[key, process.env[key]!]])));
}

/** Every tool, prompt, resource and template of an upstream, all pages. */
export function fetchTools(client: Client): Promise<Tool[]> {
  return listAll((cursor) =>
    client
      .listTools(cursor === undefined ? {} : { cursor })
      .then((p) => ({ items: p.tools, nextCursor: p.nextCursor })),
  );
}

export function fetchPrompts(client: Client): Promise<Prompt[]> {
  return listAll((cursor) =>
    client
      .listPrompts(cursor === undefined ? {} : { cursor })
      .then((p) => ({ items: p.prompts, nextCursor: p.nextCursor })),
  );
}

export async function fetchResources(
  client: Client,
): Promise<{ resources: Resource[]; templates: ResourceTemplateType[] }> {
  const resources = await listAll((cursor) =>
    client
      .listResources(cursor === undefined ? {} : { cursor })
      .then((p) => ({ items: p.resources, nextCursor: p.nextCursor })),
  );
  const templates = await listAll((cursor) =>
    client
      .listResourceTemplates(cursor === undefined ? {} : { cursor })
      .then((p) => ({ items: p.resourceTemplates, nextCursor: p.nextCursor })),
  );
  return { resources, templates };
}

/**
 * A 2026-era result names its server in `_meta`; toward the agent the server is Airlock (whose
 * own SDK adds that key where the agent's era has it), so the upstream's is dropped.
 */
export function withoutServerInfo(result: Record<string, unknown>): Record<string, unknown> {
  const meta = result['_meta'] as Record<string, unknown> | undefined;
  if (meta === undefined || !(SERVER_INFO_META_KEY in meta)) return result;
  const { [SERVER_INFO_META_KEY]: _server, ...rest } = meta;
  const { _meta: _dropped, ...body } = result;
  return Object.keys(rest).length === 0 ? body : { ...body, _meta: rest };
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

/** A result schema that takes any object as it is: for methods the SDK has no schema for. */
export const ANY_RESULT = z.looseObject({});

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
