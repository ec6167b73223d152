/** Configuration: `airlock.config.json`, `${ENV}` interpolation, the embedded default. */
export { loadConfig, validateConfig, DEFAULT_CONFIG_FILE, type LoadedConfig, type LoadConfigOptions } from './load.js';
export { embeddedDefaultConfig, PACKAGE_ROOT, DEMO_GRANT } from './embedded.js';
export { resolveDataDir, ensureDataDir } from './data-dir.js';
export { ConfigSchema, type Config, type ConfigInput, type ParsedConfig, type GrantConfig, type UpstreamConfig } from './schema.js';
