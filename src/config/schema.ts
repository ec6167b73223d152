import { z } from 'zod';
import { AuditConfigSchema } from '../audit/config.js';
import { listenerLimitsShape } from '../http/listener-limits.js';
import { durationSchema } from '../shared/duration-schema.js';
import { SlackConfigSchema } from '../slack/config.js';

const duration = durationSchema;

const listenSchema = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(8787),
  ...listenerLimitsShape,
});

/** The default per-grant session cap; below `max` when `max` is set lower, so one grant never fills the gateway. */
const DEFAULT_MAX_SESSIONS_PER_GRANT = 100;

const sessionsSchema = z
  .strictObject({
    idle_timeout: duration('30m'),
    /** Sessions of all grants together; a newcomer beyond it is refused (503). */
    max: z.number().int().min(1).default(1_000),
    /** Sessions one grant may hold (429 beyond it), unless the grant sets `max_sessions`; below `max` (checked at load). */
    max_per_grant: z.number().int().min(1).optional(),
  })
  .transform((s) => ({ ...s, max_per_grant: s.max_per_grant ?? Math.max(1, Math.min(DEFAULT_MAX_SESSIONS_PER_GRANT, s.max - 1)) }));

const stdioUpstreamSchema = z.strictObject({
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
  /** Prefix for this upstream's tool names; see src/mcp/README.md "Tool names". */
  prefix: z.string().optional(),
  /** Upper bound on one forwarded call; slow tools need more than the SDK's 60 s default. */
  call_timeout: duration('5m'),
});

const httpUpstreamSchema = z.strictObject({
  url: z.url(),
  headers: z.record(z.string(), z.string()).default({}),
  prefix: z.string().optional(),
  call_timeout: duration('5m'),
});

export const UpstreamConfigSchema = z.union([stdioUpstreamSchema, httpUpstreamSchema]);

export const GrantConfigSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected letters, digits, "_", "." or "-"'),
    token: z.string().min(16, 'expected a token of at least 16 characters').optional(),
    token_sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits').optional(),
    /** The Slack user id of the person who runs this agent (for the self-approval rule). */
    owner: z.string().optional(),
    /** A stricter (or looser) policy file for this grant; otherwise the global one. */
    policy: z.string().optional(),
    hold: duration('50s'),
    max_pending: z.number().int().min(1).default(10),
    /** This grant's own session cap, instead of `sessions.max_per_grant`. */
    max_sessions: z.number().int().min(1).optional(),
  })
  .refine((g) => g.token !== undefined || g.token_sha256 !== undefined, {
    message: 'expected "token" or "token_sha256"',
  });

export const ConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  listen: listenSchema.prefault({}),
  redis: z
    .strictObject({
      url: z.string().regex(/^(rediss?|unix):\/\//, 'expected a redis://, rediss:// or unix:// URL'),
      /** Key prefix; its {hash tag} keeps every key in one Redis Cluster slot. Separate deployments sharing a Redis use different ones. */
      prefix: z.string().regex(/^\{[^{}]+\}$/, 'expected a hash tag like "{airlock}"').default('{airlock}'),
    })
    .optional(),
  upstreams: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'expected letters, digits, "_" or "-"'), UpstreamConfigSchema)
    .refine((u) => Object.keys(u).length > 0, 'expected at least one upstream'),
  /** Which upstream serves a tool name several upstreams offer (agent-visible name → upstream). */
  tool_owners: z.record(z.string(), z.string()).default({}),
  policy: z.string(),
  grants: z.array(GrantConfigSchema).min(1, 'expected at least one grant'),
  /** The grant used by `serve --stdio` when there are several (overridden by --grant). */
  stdio_grant: z.string().optional(),
  sessions: sessionsSchema.prefault({}),
  max_request_bytes: z.number().int().min(1_024).default(4 * 1024 * 1024),
  approvals: z
    .strictObject({
      /** How long decided approvals, stored results and their jobs are kept (a retry within it gets the stored result). */
      retention: duration('24h'),
      /** An executing call's lease; a holder that dies mid-call is noticed after this and its outcome becomes unknown. */
      execution_lease: duration('15s'),
      /** How often a held request reports progress to an agent that sent a progress token (at most 15 s: clients time out at 60 s). */
      progress_interval: duration('15s').refine((ms) => ms <= 15_000, 'expected at most 15s: agents must hear from a held call at least that often'),
    })
    .prefault({}),
  /** Slack approvals; without this section, the SLACK_* environment variables, else Slack is off. */
  slack: SlackConfigSchema.optional(),
  console: z.looseObject({}).optional(),
  audit: AuditConfigSchema.prefault({}),
});

/** The config as the schema parses it, before paths are resolved. */
export type ParsedConfig = z.infer<typeof ConfigSchema>;
/** A loaded config: every path absolute, the audit directory always set (load.ts). */
export type Config = ParsedConfig & { audit: { dir: string } };
export type ConfigInput = z.input<typeof ConfigSchema>;
export type UpstreamConfig = z.infer<typeof UpstreamConfigSchema>;
export type GrantConfig = z.infer<typeof GrantConfigSchema>;
