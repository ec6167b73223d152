import type { IncomingMessage, ServerResponse } from 'node:http';
import { toNodeHandler, toWebRequest } from '@modelcontextprotocol/node';
import { createMcpHandler, isLegacyRequest, type AuthInfo, type Server } from '@modelcontextprotocol/server';
import type { GrantConfig } from '../config/index.js';
import { sendJson } from '../http/index.js';
import { describeError, type Logger } from '../shared/index.js';
import { HEADER_MISMATCH_CODE, paramHeaderDeclarations, paramHeaderMismatch } from './param-headers.js';
import { isTaskListen, type TaskListen } from './task-listen.js';

/**
 * 2026-07-28 requests at `/mcp`: the SDK's per-request serving (`createMcpHandler`, strict: the
 * 2025 leg is our own sessionful one in http-endpoint.ts), one agent server per request for the
 * grant the bearer token named. Nothing is kept between requests, so any Airlock process may
 * answer any of them.
 */
export interface ModernLeg {
  serve(req: IncomingMessage, res: ServerResponse, grant: GrantConfig, body: unknown): Promise<void>;
  /** `notifications/tools/list_changed` on every open `subscriptions/listen` stream of this process. */
  toolsChanged(): void;
  promptsChanged(): void;
  resourcesChanged(): void;
  resourceUpdated(uri: string): void;
  close(): Promise<void>;
}

/** The SDK's own era classification, on the body we already read (and bounded) ourselves. */
export async function isLegacyHttpRequest(req: IncomingMessage, body: unknown): Promise<boolean> {
  if (req.method !== 'POST') return true;
  return isLegacyRequest(await toWebRequest(req, body), body);
}

/**
 * @param inputSchemaOf the agent-facing tool's inputSchema, whose `x-mcp-header` declarations the
 * request's `Mcp-Param-*` headers must agree with (param-headers.ts).
 */
export interface ModernLegHooks {
  /** The agent-facing tool's inputSchema (for its `x-mcp-header` declarations). */
  inputSchemaOf: (tool: string) => unknown;
  /**
   * A `subscriptions/listen` names these resource URIs: the ones the grant may see (subscribed
   * upstream as a side effect); the others are left out of the filter, so the agent's
   * acknowledgement shows they are not honoured.
   */
  listenable: (grant: GrantConfig, uris: readonly string[]) => string[];
  /** Serves the `subscriptions/listen` requests that name task ids (the SDK's router knows no tasks). */
  taskListen: TaskListen;
}

export function createModernLeg(
  createServer: (grant: GrantConfig) => Server,
  hooks: ModernLegHooks,
  log: Logger,
): ModernLeg {
  const onerror = (error: Error) => log.debug({ err: describeError(error) }, '2026-era request error');
  const handler = createMcpHandler(
    (ctx) => {
      const grant = ctx.authInfo?.extra?.['grant'] as GrantConfig | undefined;
      // Unreachable: serve() always passes the grant; refuse rather than serve anonymously.
      if (grant === undefined) throw new Error('2026-era request without an authenticated grant');
      return createServer(grant);
    },
    { legacy: 'reject', onerror },
  );
  const node = toNodeHandler(handler, { onerror });
  return {
    serve: (req, res, grant, body) => {
      const mismatch = paramMismatch(req, body, hooks.inputSchemaOf);
      if (mismatch !== undefined) {
        log.debug(
          { grant: grant.name, mismatch },
          '2026-era tools/call refused: Mcp-Param header disagrees with the body',
        );
        return Promise.resolve(refuseMismatch(res, body, mismatch));
      }
      if (isTaskListen(body)) return hooks.taskListen.serve(req, res, grant, body);
      // toNodeHandler hands `req.auth` to the factory; the secret itself never goes in.
      const auth: AuthInfo = { token: `grant:${grant.name}`, clientId: grant.name, scopes: [], extra: { grant } };
      (req as IncomingMessage & { auth?: AuthInfo }).auth = auth;
      return node(
        req,
        res,
        withListenableUris(body, (uris) => hooks.listenable(grant, uris)),
      );
    },
    toolsChanged: () => {
      handler.notify.toolsChanged();
      hooks.taskListen.publish({ kind: 'tools' });
    },
    promptsChanged: () => {
      handler.notify.promptsChanged();
      hooks.taskListen.publish({ kind: 'prompts' });
    },
    resourcesChanged: () => {
      handler.notify.resourcesChanged();
      hooks.taskListen.publish({ kind: 'resources' });
    },
    resourceUpdated: (uri) => {
      handler.notify.resourceUpdated(uri);
      hooks.taskListen.publish({ kind: 'resource', uri });
    },
    close: () => {
      hooks.taskListen.close();
      return handler.close();
    },
  };
}

/** A 2026-era tools/call whose `Mcp-Param-*` headers disagree with its arguments (SEP-2243). */
function paramMismatch(
  req: IncomingMessage,
  body: unknown,
  inputSchemaOf: (tool: string) => unknown,
): { header: string; body: string } | undefined {
  const message = body as { method?: unknown; params?: { name?: unknown; arguments?: unknown } } | null;
  if (message?.method !== 'tools/call' || typeof message.params?.name !== 'string') return undefined;
  const declared = paramHeaderDeclarations(inputSchemaOf(message.params.name));
  if (declared.length === 0) return undefined;
  return paramHeaderMismatch(declared, message.params.arguments, (name) => {
    const value = req.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  });
}

function refuseMismatch(res: ServerResponse, body: unknown, mismatch: { header: string; body: string }): void {
  const id = (body as { id?: unknown }).id ?? null;
  sendJson(res, 400, {
    jsonrpc: '2.0',
    id,
    error: {
      code: HEADER_MISMATCH_CODE,
      message: `Bad Request: the request headers and body disagree: ${mismatch.body}`,
      data: { mismatch },
    },
  });
}

/** A `subscriptions/listen` body with its resource URIs cut to the ones the grant may see. */
function withListenableUris(body: unknown, listenable: (uris: readonly string[]) => string[]): unknown {
  const message = body as {
    method?: unknown;
    params?: { notifications?: { resourceSubscriptions?: unknown } };
  } | null;
  const uris = message?.params?.notifications?.resourceSubscriptions;
  if (message?.method !== 'subscriptions/listen' || !Array.isArray(uris)) return body;
  const strings = uris.filter((uri): uri is string => typeof uri === 'string');
  return {
    ...message,
    params: {
      ...message.params,
      notifications: { ...message.params!.notifications, resourceSubscriptions: listenable(strings) },
    },
  };
}
