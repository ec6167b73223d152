import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import {
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  validateHostHeader,
  validateOriginHeader,
} from '@modelcontextprotocol/server';
import type { Logger } from '../shared/index.js';
import { createGuardedServer, listenOn } from './guarded-server.js';
import type { ListenerLimits } from '../config/index.js';

export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * The main listener: `/mcp` for agents, `/healthz` and `/readyz` for supervisors, and whatever
 * later boundaries mount. Against DNS rebinding it answers only requests addressed to an allowed
 * Host (loopback names when bound to loopback) and refuses browser Origins it does not know,
 * before any token is looked at (the SDK's own validators). Deadlines and the per-address socket
 * cap are `limits` (guarded-server.ts).
 */
export async function startListener(options: {
  host: string;
  port: number;
  limits: ListenerLimits;
  routes: Record<string, Route>;
  /** Routes for a whole subtree: `/console` serves `/console` and every `/console/…` path. */
  prefixRoutes?: Record<string, Route> | undefined;
  log: Logger;
  allowedHosts?: string[] | undefined;
  allowedOrigins?: string[] | undefined;
}): Promise<{ server: HttpServer; url: string; port: number }> {
  const loopbackOnly = LOOPBACK_HOSTS.has(options.host);
  const hosts = options.allowedHosts ?? (loopbackOnly ? localhostAllowedHostnames() : undefined);
  const origins = options.allowedOrigins ?? (loopbackOnly ? localhostAllowedOrigins() : (options.allowedHosts ?? []));
  const server = createGuardedServer({
    name: 'mcp',
    limits: options.limits,
    settings: 'listen',
    log: options.log,
    handle: (req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      const refusal = rebindingRefusal(req, hosts, origins);
      if (refusal !== undefined) {
        res.writeHead(403, { 'content-type': 'text/plain' }).end(`Forbidden: ${refusal}\n`);
        return;
      }
      const route = options.routes[path] ?? prefixRoute(options.prefixRoutes, path);
      if (route === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`Not found: ${path}\n`);
        return;
      }
      Promise.resolve(route(req, res)).catch((error: unknown) => {
        options.log.error({ err: error, path }, 'request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('Internal error\n');
      });
    },
  });
  const port = await listenOn(server, options.host, options.port);
  const hostPart = options.host.includes(':') ? `[${options.host}]` : options.host;
  return { server, url: `http://${hostPart}:${port}`, port };
}

function prefixRoute(routes: Record<string, Route> | undefined, path: string): Route | undefined {
  for (const [prefix, route] of Object.entries(routes ?? {}))
    if (path === prefix || path.startsWith(`${prefix}/`)) return route;
  return undefined;
}

/** Why a request may come from a DNS-rebinding page (a Host or Origin we do not serve), or undefined. */
function rebindingRefusal(req: IncomingMessage, hosts: string[] | undefined, origins: string[]): string | undefined {
  if (hosts !== undefined && !validateHostHeader(req.headers.host, hosts).ok)
    return hosts.every((h) => LOOPBACK_HOSTS.has(h)) || hosts.includes('localhost')
      ? 'Host header must name a loopback address'
      : `Host header must be one of listen.allowed_hosts (${hosts.join(', ')})`;
  const origin = req.headers.origin;
  if (origin !== undefined && !validateOriginHeader(origin, origins).ok)
    return `Origin ${origin} is not allowed (listen.allowed_origins)`;
  return undefined;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n');
}
