/**
 * Streamable HTTP at /mcp with stateful sessions: one transport and one Server per session
 * (a Server can only be connected once). The real server is stdio-only; HTTP is the stand-in's
 * extra so gateway tests can also point at an HTTP upstream.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export interface HttpStandin {
  url: string;
  port: number;
  close(): Promise<void>;
}

function sendJsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  res
    .writeHead(status, { 'content-type': 'application/json' })
    .end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** DNS-rebinding guard: when bound to loopback, only loopback Host headers are served. */
function hostAllowed(bindHost: string, hostHeader: string | undefined): boolean {
  if (!LOOPBACK_HOSTS.has(bindHost)) return true;
  if (!hostHeader) return false;
  const name = hostHeader.startsWith('[')
    ? hostHeader.slice(0, hostHeader.indexOf(']') + 1)
    : (hostHeader.split(':')[0] ?? '');
  return LOOPBACK_HOSTS.has(name);
}

type Sessions = Map<string, { transport: StreamableHTTPServerTransport; server: Server }>;

/** One request to /mcp: an existing session's, or an initialize that opens a new one. */
async function handleMcpRequest(
  sessions: Sessions,
  makeServer: () => Server,
  bindHost: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path !== '/mcp') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
  if (!hostAllowed(bindHost, req.headers.host))
    return sendJsonRpcError(res, 403, -32000, 'Forbidden: invalid Host header');
  const sessionId = req.headers['mcp-session-id'];
  if (typeof sessionId === 'string') {
    const session = sessions.get(sessionId);
    if (!session) return sendJsonRpcError(res, 404, -32001, 'Session not found');
    return session.transport.handleRequest(req, res);
  }
  if (req.method !== 'POST') return sendJsonRpcError(res, 400, -32000, 'Bad Request: No valid session ID provided');
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch {
    return sendJsonRpcError(res, 400, -32700, 'Parse error');
  }
  if (!isInitializeRequest(body))
    return sendJsonRpcError(res, 400, -32000, 'Bad Request: No valid session ID provided');
  const server = makeServer();
  const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (id) => void sessions.set(id, { transport, server }),
    onsessionclosed: (id) => void sessions.delete(id),
  });
  transport.onclose = () => {
    if (transport.sessionId) sessions.delete(transport.sessionId);
  };
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}

export async function serveStandinHttp(
  makeServer: () => Server,
  options: { host: string; port: number },
): Promise<HttpStandin> {
  const sessions: Sessions = new Map();
  const handle = (req: IncomingMessage, res: ServerResponse) =>
    handleMcpRequest(sessions, makeServer, options.host, req, res);

  const httpServer = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJsonRpcError(res, 500, -32603, error instanceof Error ? error.message : String(error));
      else res.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;

  return {
    url: `http://${hostForUrl}:${port}/mcp`,
    port,
    async close() {
      await Promise.allSettled([...sessions.values()].map(({ server }) => server.close()));
      sessions.clear();
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
    },
  };
}
