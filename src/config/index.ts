/**
 * Configuration: `airlock.config.json` (one schema file per section, composed in schema.ts),
 * `${ENV}` interpolation, the SLACK_* fallback, the embedded default. `loadConfig` is the one
 * place config is parsed; other boundaries import only the types (durations already in ms).
 * @module
 */
export { loadConfig, loadEmbeddedConfig, type LoadedConfig, type LoadConfigOptions } from './load.js';
export { PACKAGE_ROOT } from './embedded.js';
export { resolveDataDir } from './data-dir.js';
export { type Config, type ConfigInput, type ParsedConfig, type GrantConfig, type UpstreamConfig } from './schema.js';
export type { ListenerLimits } from './listen.js';
export type { MetricsConfig, ShutdownConfig } from './observability.js';
export { AuditConfigSchema, DEFAULT_REDACT_PATTERNS, type AuditConfig, type AuditConfigInput } from './audit.js';
export { parseSlackConfig, type SlackConfig, type SlackConfigInput } from './slack.js';
export { ConsoleConfigSchema, type ConsoleConfig, type ConsoleUser } from './console.js';
