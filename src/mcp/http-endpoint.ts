import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { GrantConfig } from '../config/schema.js';
import type { Logger } from '../shared/logger.js';
import type { GrantAuthenticator } from './grant-auth.js';
import type { AgentSession, SessionRegistry } from './sessions.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';

export interface McpEndpointOptions {
  auth: GrantAuthenticator;
  sessions: SessionRegistry;
  maxRequestBytes: number;
  createServer: (grant: GrantConfig) => Server;
  log: Logger;
}

/**
 * `/mcp`: Streamable HTTP with stateful sessions. Every request must carry a grant's bearer
 * token (401 otherwise); a session belongs to the grant that opened it (403 for any other).
 */
export function createMcpEndpoint(options: McpEndpointOptions) {
  const { auth, sessions, log } = options;

  return async function handleMcp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const authResult = auth.authenticate(req.headers.authorization);
    if ('error' in authResult) {
      const description = authResult.error === 'missing_token' ? 'Authorization: Bearer <token> is required' : 'the bearer token is not a known grant';
      res.setHeader('WWW-Authenticate', `Bearer realm="airlock", error="invalid_token", error_description="${description}"`);
      return sendJsonRpcError(res, 401, -32001, `Unauthorized: ${description}`);
    }
    const grant = authResult.grant;

    let body: unknown;
    if (req.method === 'POST') {
      const read = await readBody(req, options.maxRequestBytes);
      if (read.tooLarge) return sendJsonRpcError(res, 413, -32600, `Request body exceeds the limit of ${options.maxRequestBytes} bytes (config "max_request_bytes")`);
      try {
        body = JSON.parse(read.text);
      } catch {
        return sendJsonRpcError(res, 400, -32700, 'Parse error: the request body is not valid JSON');
      }
    }

    const sessionId = header(req, 'mcp-session-id');
    if (sessionId !== undefined) {
      const session = sessions.get(sessionId);
      if (session === undefined) return sendJsonRpcError(res, 404, -32001, 'Session not found: it expired or the gateway restarted; initialize a new session');
      if (session.grantName !== grant.name) return sendJsonRpcError(res, 403, -32001, 'Forbidden: this session belongs to another grant');
      return serveInSession(session, req, res, body);
    }

    if (req.method !== 'POST' || !isInitializeRequest(body)) {
      return sendJsonRpcError(res, 400, -32000, 'Bad Request: no Mcp-Session-Id header; send initialize first');
    }
    if (sessions.size >= sessions.maxSessions && sessions.sweep() === 0) {
      return sendJsonRpcError(res, 503, -32000, `Too many sessions (limit ${sessions.maxSessions}); close idle clients or raise sessions.max`);
    }

    let session: AgentSession | undefined;
    const transport = new StreamableHTTPServerTransport({
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
    const server = options.createServer(grant);
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
    if (session === undefined) await server.close().catch(() => {});
  };

  async function serveInSession(session: AgentSession, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    session.lastSeen = Date.now();
    session.openRequests += 1;
    res.once('close', () => {
      session.openRequests -= 1;
      session.lastSeen = Date.now();
    });
    await session.transport.handleRequest(req, res, body);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<{ tooLarge: true } | { tooLarge: false; text: string }> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    req.resume();
    return { tooLarge: true };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      req.resume();
      return { tooLarge: true };
    }
    chunks.push(chunk);
  }
  return { tooLarge: false, text: Buffer.concat(chunks).toString('utf8') };
}

export function sendJsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}
