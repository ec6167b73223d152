import { z } from 'zod';
import { ApprovalsConfigSchema } from './approvals.js';
import { AuditConfigSchema } from './audit.js';
import { ConsoleConfigSchema } from './console.js';
import { GrantsConfigSchema } from './grants.js';
import { ListenConfigSchema } from './listen.js';
import { MetricsConfigSchema, ShutdownConfigSchema } from './observability.js';
import { RedisConfigSchema } from './redis.js';
import { SessionsConfigSchema } from './sessions.js';
import { SlackConfigSchema } from './slack.js';
import { UpstreamsConfigSchema } from './upstreams.js';

/**
 * airlock.config.json: the sections composed, each from its own file. loadConfig parses it once;
 * everything downstream gets the parsed values (durations in ms) and never parses a section again.
 */
export const ConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  listen: ListenConfigSchema.prefault({}),
  redis: RedisConfigSchema.optional(),
  upstreams: UpstreamsConfigSchema,
  /** Which upstream serves a tool name several upstreams offer (agent-visible name → upstream). */
  tool_owners: z.record(z.string(), z.string()).default({}),
  policy: z.string(),
  grants: GrantsConfigSchema,
  /** The grant used by `serve --stdio` when there are several (overridden by --grant). */
  stdio_grant: z.string().optional(),
  sessions: SessionsConfigSchema.prefault({}),
  max_request_bytes: z
    .number()
    .int()
    .min(1_024)
    .default(4 * 1024 * 1024),
  approvals: ApprovalsConfigSchema.prefault({}),
  /** Slack approvals; without this section, the SLACK_* environment variables (load.ts), else Slack is off. */
  slack: SlackConfigSchema.optional(),
  /** The web console's users and sessions, and the approvals CLI's default --as (`console.user`). */
  console: ConsoleConfigSchema.prefault({}),
  audit: AuditConfigSchema.prefault({}),
  /** Prometheus `/metrics` on the main listener. */
  metrics: MetricsConfigSchema.prefault({}),
  /** What SIGTERM waits for. */
  shutdown: ShutdownConfigSchema.prefault({}),
});

/** The config as the schema parses it, before paths are resolved. */
export type ParsedConfig = z.infer<typeof ConfigSchema>;
/** A loaded config: every path absolute, the audit directory always set (load.ts). */
export type Config = ParsedConfig & { audit: { dir: string } };
export type ConfigInput = z.input<typeof ConfigSchema>;
// src/mcp imports these from here; their schemas live in the section files.
export type { GrantConfig } from './grants.js';
export type { UpstreamConfig } from './upstreams.js';
