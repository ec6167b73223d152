import { z } from 'zod';
import { durationSchema as duration } from '../shared/index.js';

/**
 * Which protocol era to speak to the upstream: `auto` probes with server/discover at every
 * (re)connect and falls back to initialize for a 2025-era server; `2025-11-25` skips the probe
 * (a stdio probe costs a short-lived second process); `2026-07-28` refuses a 2025-era server.
 */
const protocolSchema = z.enum(['auto', '2025-11-25', '2026-07-28']).default('auto');

const stdioUpstreamSchema = z.strictObject({
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
  /** Prefix for this upstream's tool names; see src/mcp/README.md "Tool names". */
  prefix: z.string().optional(),
  /** Upper bound on one forwarded call; slow tools need more than the SDK's 60 s default. */
  call_timeout: duration('5m'),
  protocol: protocolSchema,
});

const httpUpstreamSchema = z.strictObject({
  url: z.url(),
  headers: z.record(z.string(), z.string()).default({}),
  prefix: z.string().optional(),
  call_timeout: duration('5m'),
  protocol: protocolSchema,
});

/** One upstream MCP server: a stdio command or a Streamable HTTP URL. */
export const UpstreamConfigSchema = z.union([stdioUpstreamSchema, httpUpstreamSchema]);

/** The `upstreams` section: name → upstream, at least one. */
export const UpstreamsConfigSchema = z
  .record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'expected letters, digits, "_" or "-"'), UpstreamConfigSchema)
  .refine((u) => Object.keys(u).length > 0, 'expected at least one upstream');

export type UpstreamConfig = z.infer<typeof UpstreamConfigSchema>;
