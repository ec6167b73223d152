import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Logger } from '../shared/index.js';
import { createGuardedServer, listenOn } from './guarded-server.js';
import type { ListenerLimits } from '../config/index.js';

export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * The main listener: `/mcp` for agents, `/healthz` and `/readyz` for supervisors, and whatever
 * later boundaries mount. Bound to loopback, it only answers requests addressed to loopback
 * names, which stops DNS-rebinding pages in a browser from reaching it. Deadlines and the
 * per-address socket cap are `limits` (guarded-server.ts).
 */
export async function startListener(options: {
  host: string;
  port: number;
  limits: ListenerLimits;
  routes: Record<string, Route>;
  log: Logger;
}): Promise<{ server: HttpServer; url: string; port: number }> {
  const loopbackOnly = LOOPBACK_HOSTS.has(options.host);
  const server = createGuardedServer({
    name: 'mcp',
    limits: options.limits,
    settings: 'listen',
    log: options.log,
    handle: (req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (loopbackOnly && !LOOPBACK_HOSTS.has(hostName(req.headers.host))) {
        res
          .writeHead(403, { 'content-type': 'text/plain' })
          .end('Forbidden: Host header must name a loopback address\n');
        return;
      }
      const route = options.routes[path];
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

function hostName(header: string | undefined): string {
  if (header === undefined) return '';
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  return header.split(':')[0]!;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n');
}
