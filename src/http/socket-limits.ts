import type { ServerOptions } from 'node:http';
import type { ListenerLimits } from '../config/index.js';

/** How long an idle keep-alive connection stays open between requests (Node's own default). */
const KEEP_ALIVE_MS = 5_000;

/**
 * Node's server timeouts for our limits. Node 20 semantics relied on:
 * - `headersTimeout`: from a request's first byte (or the connection's start) until its headers
 *   are complete; a silent or slow-header socket gets 408 and is closed.
 * - `requestTimeout`: from the same start until the whole request (headers and body) is
 *   received. It stops when the request is complete, so it never cuts a response: a held call
 *   answering after minutes, or the SSE stream open for a session's life, is not affected.
 * - `connectionsCheckingInterval`: how often Node checks those two; its 30 s default would let a
 *   deadline overrun by 30 s, so it is a fraction of the shortest one (at most 1 s).
 * - `keepAliveTimeout`: an idle connection between requests is closed after it.
 * `server.timeout` (inactivity) stays 0: held responses are silent for as long as the hold lasts.
 */
export function serverTimeouts(
  limits: Pick<ListenerLimits, 'header_timeout' | 'body_timeout'>,
): Required<
  Pick<ServerOptions, 'headersTimeout' | 'requestTimeout' | 'connectionsCheckingInterval' | 'keepAliveTimeout'>
> {
  const shortest = Math.min(limits.header_timeout, limits.body_timeout);
  return {
    headersTimeout: limits.header_timeout,
    requestTimeout: limits.header_timeout + limits.body_timeout,
    connectionsCheckingInterval: Math.min(1_000, Math.max(50, Math.floor(shortest / 4))),
    keepAliveTimeout: KEEP_ALIVE_MS,
  };
}

/** One key per client host: an IPv4 client seen through a dual-stack socket ("::ffff:1.2.3.4") counts as "1.2.3.4". */
export function addressKey(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return 'unknown';
  return remoteAddress.startsWith('::ffff:') && remoteAddress.includes('.')
    ? remoteAddress.slice('::ffff:'.length)
    : remoteAddress;
}

export type SocketAdmission = { admitted: true } | { admitted: false; open: number; firstRefusal: boolean };

/**
 * Open sockets per client address, capped. `firstRefusal` is true once per crowded spell of an
 * address (until its count drops to zero), so a client hammering the cap is logged once.
 */
export class AddressCounter {
  private readonly open = new Map<string, number>();
  private readonly refused = new Set<string>();

  constructor(readonly maxPerAddress: number) {}

  tryOpen(address: string): SocketAdmission {
    const open = this.open.get(address) ?? 0;
    if (open >= this.maxPerAddress) {
      const firstRefusal = !this.refused.has(address);
      this.refused.add(address);
      return { admitted: false, open, firstRefusal };
    }
    this.open.set(address, open + 1);
    return { admitted: true };
  }

  closed(address: string): void {
    const open = (this.open.get(address) ?? 1) - 1;
    if (open > 0) return void this.open.set(address, open);
    this.open.delete(address);
    this.refused.delete(address);
  }

  count(address: string): number {
    return this.open.get(address) ?? 0;
  }
}
