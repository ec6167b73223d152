import { z } from 'zod';
import { AirlockError, durationSchema as duration, formatIssues } from '../shared/index.js';
import { listenerLimitsShape } from './listen.js';

/** `"${SLACK_APP_TOKEN}"` interpolated from an unset variable reads as absent, not as an empty token. */
const optionalText = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/**
 * The `slack` section of airlock.config.json. Strict: unknown keys are errors. Without
 * `app_token` Bolt runs its HTTP receiver on `listen` (path /slack/events); with it, Socket Mode.
 */
export const SlackConfigSchema = z
  .strictObject({
    bot_token: z.string().regex(/^xoxb-/, 'expected a bot token ("xoxb-…", OAuth & Permissions in the app settings)'),
    /** Checks that requests to /slack/events come from Slack (HTTP mode; Socket Mode does not need it). */
    signing_secret: optionalText(z.string()),
    /** An app-level token ("xapp-…", scope connections:write): Socket Mode, no public URL needed. */
    app_token: optionalText(
      z.string().regex(/^xapp-/, 'expected an app-level token ("xapp-…", Basic Information → App-Level Tokens)'),
    ),
    /** Where approval messages go unless the rule names its own approval.channel (a channel id is safest). */
    approvals_channel: z.string().min(1),
    /** Compact decision and outcome lines, bursts rolled up. */
    audit_channel: optionalText(z.string().min(1)),
    /** The Bolt receiver's own listener (HTTP mode), with the same socket limits as the main one. */
    listen: z
      .strictObject({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65_535).default(3000),
        ...listenerLimitsShape,
      })
      .prefault({}),
    /** The Web API base URL, for proxies and tests. */
    api_url: optionalText(z.url().transform((u) => (u.endsWith('/') ? u : `${u}/`))),
    /** How long user-group members (usergroups.users.list) are cached. */
    group_cache_ttl: duration('5m'),
    /** Every Web API write is a BullMQ job: attempts and exponential backoff (a 429's Retry-After wins). */
    retry: z
      .strictObject({
        attempts: z.number().int().min(1).max(100).default(12),
        initial_delay: duration('1s'),
        max_delay: duration('1m'),
      })
      .prefault({}),
  })
  .refine((c) => c.app_token !== undefined || c.signing_secret !== undefined, {
    message: 'expected "signing_secret" (HTTP mode), or "app_token" for Socket Mode',
    path: ['signing_secret'],
  });

/** A parsed `slack` section: durations in milliseconds. Never parse one again (ms would read as seconds). */
export type SlackConfig = z.infer<typeof SlackConfigSchema>;
export type SlackConfigInput = z.input<typeof SlackConfigSchema>;

/** Validates a raw `slack` section; errors name the source and the JSON pointer, as the rest of the config does. */
export function parseSlackConfig(raw: unknown, source = 'slack'): SlackConfig {
  const parsed = SlackConfigSchema.safeParse(raw);
  if (!parsed.success) throw new AirlockError('config_invalid', formatIssues(source, parsed.error.issues));
  return parsed.data;
}

const SLACK_ENV = {
  botToken: 'SLACK_BOT_TOKEN',
  signingSecret: 'SLACK_SIGNING_SECRET',
  approvalsChannel: 'SLACK_APPROVALS_CHANNEL',
  appToken: 'SLACK_APP_TOKEN',
  auditChannel: 'SLACK_AUDIT_CHANNEL',
} as const;

/**
 * Slack from environment variables, for deployments without a `slack` section: SLACK_BOT_TOKEN,
 * SLACK_SIGNING_SECRET and SLACK_APPROVALS_CHANNEL (SLACK_APP_TOKEN for Socket Mode,
 * SLACK_AUDIT_CHANNEL optional). Undefined when none of the three is set (Slack off); an error
 * naming what is missing when only some are.
 */
export function slackConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SlackConfig | undefined {
  const get = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const botToken = get(SLACK_ENV.botToken);
  const signingSecret = get(SLACK_ENV.signingSecret);
  const appToken = get(SLACK_ENV.appToken);
  const channel = get(SLACK_ENV.approvalsChannel);
  if (botToken === undefined && signingSecret === undefined && channel === undefined && appToken === undefined)
    return undefined;
  const missing = [
    botToken === undefined ? SLACK_ENV.botToken : undefined,
    signingSecret === undefined && appToken === undefined ? SLACK_ENV.signingSecret : undefined,
    channel === undefined ? SLACK_ENV.approvalsChannel : undefined,
  ].filter((name) => name !== undefined);
  if (missing.length > 0) {
    throw new AirlockError(
      'config_invalid',
      `Slack is half configured: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set ` +
        `(Slack needs ${SLACK_ENV.botToken}, ${SLACK_ENV.signingSecret} and ${SLACK_ENV.approvalsChannel}; unset them all to run without Slack)`,
    );
  }
  return parseSlackConfig(
    {
      bot_token: botToken,
      signing_secret: signingSecret,
      app_token: appToken,
      approvals_channel: channel,
      audit_channel: get(SLACK_ENV.auditChannel),
    },
    'environment (SLACK_*)',
  );
}

/**
 * The config file's section when it has one (already parsed by ConfigSchema: passed through
 * as is), else the environment, else undefined (Slack off). loadConfig calls it once.
 */
export function resolveSlackConfig(
  section: SlackConfig | undefined,
  env: NodeJS.ProcessEnv = process.env,
): SlackConfig | undefined {
  return section ?? slackConfigFromEnv(env);
}
