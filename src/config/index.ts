/** Configuration: `airlock.config.json`, `${ENV}` interpolation, the embedded default. */
export { loadConfig, validateConfig, DEFAULT_CONFIG_FILE, type LoadedConfig } from './load.js';
export { embeddedDefaultConfig, PACKAGE_ROOT, DATA_DIR, DEMO_GRANT } from './embedded.js';
export { ConfigSchema, type Config, type ConfigInput, type GrantConfig, type UpstreamConfig } from './schema.js';
