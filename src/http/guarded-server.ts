import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../shared/index.js';
import type { ListenerLimits } from '../config/index.js';
import { AddressCounter, addressKey, serverTimeouts } from './socket-limits.js';

export interface GuardedServerOptions {
  /** For log lines: "mcp", "slack". */
  name: string;
  limits: ListenerLimits;
  /** The config path of the limits, for messages ("listen", "slack.listen"). */
  settings: string;
  log: Logger;
  handle: RequestListener;
}

/**
 * An http.Server with the socket policy every Airlock listener shares: header and request
 * deadlines (socket-limits.ts), a cap on open sockets per client address, and refusals that
 * close their connection.
 */
export function createGuardedServer(options: GuardedServerOptions): Server {
  const { limits, log } = options;
  const server = createServer(serverTimeouts(limits), (req, res) => {
    closeConnectionOnRefusal(res);
    options.handle(req, res);
  });
  server.timeout = 0;
  const counter = new AddressCounter(limits.max_sockets_per_address);
  server.on('connection', (socket) => {
    const address = addressKey(socket.remoteAddress);
    const admission = counter.tryOpen(address);
    if (!admission.admitted) {
      const line = { listener: options.name, address, open: admission.open };
      const text = `refused a connection from ${address}: it already has ${admission.open} open (${options.settings}.max_sockets_per_address)`;
      if (admission.firstRefusal) log.warn(line, text);
      else log.debug(line, text);
      socket.destroy();
      return;
    }
    socket.once('close', () => counter.closed(address));
  });
  return server;
}

/**
 * Every refusal (status ≥ 400) goes out with `Connection: close`. Node then destroys the socket
 * as soon as the answer is flushed (`res._last` → `socket.destroySoon()`) instead of keeping it
 * alive and draining whatever body the client goes on trickling; a refusal never reads that body.
 * Patched on the response object, so answers written by Bolt and the MCP SDK are covered too.
 */
function closeConnectionOnRefusal(res: ServerResponse): void {
  const writeHead = res.writeHead as (this: ServerResponse, statusCode: number, ...rest: unknown[]) => ServerResponse;
  res.writeHead = function (this: ServerResponse, statusCode: number, ...rest: unknown[]) {
    if (statusCode >= 400) this.setHeader('connection', 'close');
    return writeHead.call(this, statusCode, ...rest);
  } as ServerResponse['writeHead'];
}

/** Listens and resolves with the bound port (0 picks a free one); rejects on EADDRINUSE and the like. */
export async function listenOn(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Stops accepting, drops every open connection (held calls were answered before), resolves once closed. */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
