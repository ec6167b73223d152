import { z } from 'zod';
import { durationSchema } from '../shared/index.js';

/**
 * What every listener bounds for each client: the `listen` section (agents) and `slack.listen`
 * (Slack's interactivity posts) share these keys; src/http/guarded-server.ts applies them.
 */
export const listenerLimitsShape = {
  /** Open connections one client address may hold; more are closed on arrival. Raise it behind a proxy or NAT (one address for many clients). */
  max_sockets_per_address: z.number().int().min(1).default(64),
  /** Time a request may take to send its headers, from its first byte. */
  header_timeout: durationSchema('10s'),
  /** Time a request may take to send its body once the headers are in. Responses are never cut: held calls and event streams stay open. */
  body_timeout: durationSchema('10s'),
};

export const ListenerLimitsSchema = z.strictObject(listenerLimitsShape);
export type ListenerLimits = z.infer<typeof ListenerLimitsSchema>;

/** The `listen` section: where agents reach the gateway (Streamable HTTP at /mcp). */
export const ListenConfigSchema = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(8787),
  /**
   * Host names (no port) requests may be addressed to, against DNS rebinding. Default: the
   * loopback names when bound to loopback; any Host otherwise (name yours here behind a proxy).
   */
  allowed_hosts: z.array(z.string().min(1)).optional(),
  /**
   * Browser origins (host names, or `https://*`) allowed to call; a request without an `Origin`
   * header (every non-browser agent) passes. Default: loopback origins when bound to loopback,
   * else `allowed_hosts`, else none.
   */
  allowed_origins: z.array(z.string().min(1)).optional(),
  ...listenerLimitsShape,
});

export type ListenConfig = z.infer<typeof ListenConfigSchema>;
