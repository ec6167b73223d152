/**
 * Configuration: `airlock.config.json` (one schema file per section, composed in schema.ts),
 * `${ENV}` interpolation, the SLACK_* fallback, the embedded default. `loadConfig` is the one
 * place config is parsed; other boundaries import only the types (durations already in ms).
 * @module
 */
export { loadConfig, validateConfig, DEFAULT_CONFIG_FILE, type LoadedConfig, type LoadConfigOptions } from './load.js';
export { embeddedDefaultConfig, PACKAGE_ROOT, DEMO_GRANT } from './embedded.js';
export { resolveDataDir, ensureDataDir } from './data-dir.js';
export { ConfigSchema, type Config, type ConfigInput, type ParsedConfig, type GrantConfig, type UpstreamConfig } from './schema.js';
export type { ListenerLimits } from './listen.js';
export { AuditConfigSchema, DEFAULT_REDACT_PATTERNS, type AuditConfig, type AuditConfigInput } from './audit.js';
export { SlackConfigSchema, parseSlackConfig, slackConfigFromEnv, SLACK_ENV, type SlackConfig, type SlackConfigInput } from './slack.js';
