import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isInitializeRequest } from '@modelcontextprotocol/server';
import type { Server } from '@modelcontextprotocol/server';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import type { GrantConfig } from '../config/index.js';
import { readBody } from '../http/index.js';
import { formatDuration, type Logger } from '../shared/index.js';
import type { GrantAuthenticator } from './grant-auth.js';
import { isLegacyHttpRequest, type ModernLeg } from './modern-leg.js';
import type { AgentSession, SessionAdmission, SessionRegistry } from './sessions.js';

export interface McpEndpointOptions {
  auth: GrantAuthenticator;
  sessions: SessionRegistry;
  maxRequestBytes: number;
  /** The whole body must arrive within this (`listen.body_timeout`). */
  bodyTimeoutMs: number;
  /** A 2025-era session's server (one per session). */
  createServer: (grant: GrantConfig) => Server;
  /** Where 2026-era requests go. */
  modern: ModernLeg;
  /** True once shutdown began: requests outside an open session are refused (503) so they go elsewhere. */
  draining?: () => boolean;
  log: Logger;
}

/**
 * `/mcp`: both protocol eras on one URL. 2025-era clients get Streamable HTTP with stateful
 * sessions; 2026-era requests (a per-request `_meta` envelope, classified by the SDK) go to the
 * per-request modern leg. Every request must carry a grant's bearer token (401 otherwise); a
 * session belongs to the grant that opened it (403 for any other).
 * Everything decided from the headers (401, 403, 404, a declared 413) is answered before the
 * body is read; every refusal closes its connection (src/http/guarded-server.ts).
 */
export function createMcpEndpoint(
  options: McpEndpointOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const endpoint = new McpEndpoint(options);
  return (req, res) => endpoint.handle(req, res);
}

const SESSION_GONE = 'Session not found: it expired or the gateway restarted; initialize a new session';

/** A request body read, or the refusal already sent (undefined for a body-less GET or DELETE). */
type BodyResult = { ok: true; body: unknown } | { ok: false };

class McpEndpoint {
  constructor(private readonly options: McpEndpointOptions) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const grant = this.authenticate(req, res);
    if (grant === undefined) return;
    const sessionId = header(req, 'mcp-session-id');
    const session = sessionId === undefined ? undefined : this.options.sessions.get(sessionId);
    if (sessionId !== undefined) {
      if (session === undefined) return sendJsonRpcError(res, 404, -32001, SESSION_GONE);
      if (session.grantName !== grant.name)
        return sendJsonRpcError(res, 403, -32001, 'Forbidden: this session belongs to another grant');
    }
    // A new session or a 2026-era request would outlive us: the client (or its load balancer) retries elsewhere.
    if (session === undefined && this.options.draining?.() === true) {
      res.setHeader('Retry-After', '1');
      return sendJsonRpcError(res, 503, -32000, 'Service unavailable: this Airlock process is shutting down; retry');
    }
    const read = await this.readJsonBody(req, res);
    if (!read.ok) return;
    if (session !== undefined) {
      // Evicted while its body was coming in (idle until this request): as if unknown.
      if (this.options.sessions.get(session.id) !== session) return sendJsonRpcError(res, 404, -32001, SESSION_GONE);
      return this.serveInSession(session, req, res, read.body);
    }
    if (!(await isLegacyHttpRequest(req, read.body))) return this.options.modern.serve(req, res, grant, read.body);
    if (req.method !== 'POST' || !isInitializeRequest(read.body)) {
      return sendJsonRpcError(res, 400, -32000, 'Bad Request: no Mcp-Session-Id header; send initialize first');
    }
    const admission = this.options.sessions.admit(grant.name);
    if (!admission.admitted) return this.refuseSession(res, admission);
    try {
      await this.openSession(grant, req, res, read.body);
    } finally {
      admission.release();
    }
  }

  /** The grant of the bearer token, or undefined after answering 401. */
  private authenticate(req: IncomingMessage, res: ServerResponse): GrantConfig | undefined {
    const result = this.options.auth.authenticate(req.headers.authorization);
    if (!('error' in result)) return result.grant;
    const description =
      result.error === 'missing_token'
        ? 'Authorization: Bearer <token> is required'
        : 'the bearer token is not a known grant';
    res.setHeader(
      'WWW-Authenticate',
      `Bearer realm="airlock", error="invalid_token", error_description="${description}"`,
    );
    sendJsonRpcError(res, 401, -32001, `Unauthorized: ${description}`);
    return undefined;
  }

  private async readJsonBody(req: IncomingMessage, res: ServerResponse): Promise<BodyResult> {
    if (req.method !== 'POST') return { ok: true, body: undefined };
    const { maxRequestBytes, bodyTimeoutMs } = this.options;
    const read = await readBody(req, { maxBytes: maxRequestBytes, timeoutMs: bodyTimeoutMs });
    switch (read.kind) {
      case 'aborted':
        return { ok: false };
      case 'too_large':
        sendJsonRpcError(
          res,
          413,
          -32600,
          `Request body exceeds the limit of ${maxRequestBytes} bytes (config "max_request_bytes")`,
        );
        return { ok: false };
      case 'timeout':
        sendJsonRpcError(
          res,
          408,
          -32600,
          `Request body not received within ${formatDuration(bodyTimeoutMs)} (config "listen.body_timeout"); send the whole body at once`,
        );
        return { ok: false };
      case 'ok':
        try {
          return { ok: true, body: JSON.parse(read.text) };
        } catch {
          sendJsonRpcError(res, 400, -32700, 'Parse error: the request body is not valid JSON');
          return { ok: false };
        }
    }
  }

  private async openSession(
    grant: GrantConfig,
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
  ): Promise<void> {
    const { sessions, log } = this.options;
    let session: AgentSession | undefined;
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        session = { id, grantName: grant.name, server, transport, lastSeen: Date.now(), openRequests: 0 };
        sessions.add(session);
        log.info({ grant: grant.name, session: id }, 'session opened');
      },
      onsessionclosed: (id) => {
        sessions.remove(id);
        log.info({ grant: grant.name, session: id }, 'session closed by client');
      },
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.remove(transport.sessionId);
    };
    const server = this.options.createServer(grant);
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
    if (session === undefined) await server.close().catch(() => {});
  }

  private async serveInSession(
    session: AgentSession,
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
  ): Promise<void> {
    session.lastSeen = Date.now();
    session.openRequests += 1;
    res.once('close', () => {
      session.openRequests -= 1;
      session.lastSeen = Date.now();
    });
    await session.transport.handleRequest(req, res, body);
  }

  /**
   * A grant at its own cap gets 429 with Retry-After (when its first idle session can be
   * evicted); the others keep initializing. 429 rather than 503: the SDK client (and the agents
   * built on it) retries neither and shows our message either way, so the status is for people
   * and proxies, and 429 says the truth: this credential is over its own quota, the gateway is
   * fine. 503 stays for the whole gateway being full (`sessions.max`), which refuses newcomers.
   */
  private refuseSession(res: ServerResponse, refusal: Exclude<SessionAdmission, { admitted: true }>): void {
    if (refusal.scope === 'global') {
      return sendJsonRpcError(
        res,
        503,
        -32000,
        `Too many sessions (limit ${refusal.cap}); close idle clients or raise sessions.max`,
      );
    }
    const retryAfterS = Math.ceil(refusal.retryAfterMs / 1_000);
    this.options.log.warn(
      { grant: refusal.grant, open: refusal.open, cap: refusal.cap },
      'session refused: the grant is at its session cap',
    );
    res.setHeader('Retry-After', String(retryAfterS));
    sendJsonRpcError(
      res,
      429,
      -32000,
      `Too many sessions for grant "${refusal.grant}": it has ${refusal.open} open and may have ${refusal.cap} (${refusal.capSetting}). ` +
        `Close MCP clients of this grant you no longer use, retry in ${retryAfterS} s (idle sessions expire after sessions.idle_timeout), or raise ${refusal.capSetting}.`,
      { grant: refusal.grant, max_sessions: refusal.cap, open: refusal.open, retry_after_s: retryAfterS },
    );
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sendJsonRpcError(res: ServerResponse, status: number, code: number, message: string, data?: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({ jsonrpc: '2.0', error: { code, message, ...(data === undefined ? {} : { data }) }, id: null }),
  );
}
